package driftgate.pod_security.seccomp_test

import data.driftgate.pod_security.seccomp as p
import rego.v1

pod(podsc, sc) := {"request": {"object": {"kind": "Pod", "spec": {"securityContext": podsc, "containers": [{"name": "c", "securityContext": sc}]}}}}

test_unconfined_denied if {
	count(p.deny) == 1 with input as pod({"seccompProfile": {"type": "Unconfined"}}, {})
	count(p.deny) == 1 with input as pod({}, {"seccompProfile": {"type": "Unconfined"}})
}

test_runtime_default_or_unset_allowed if {
	count(p.deny) == 0 with input as pod({"seccompProfile": {"type": "RuntimeDefault"}}, {})
	count(p.deny) == 0 with input as pod({}, {})
}
