package driftgate.pod_security.seccomp_required_test

import data.driftgate.pod_security.seccomp_required as p
import rego.v1

pod(podsc, sc) := {"request": {"object": {"kind": "Pod", "spec": {"securityContext": podsc, "containers": [{"name": "c", "securityContext": sc}]}}}}

test_unset_flagged if count(p.deny) == 1 with input as pod({}, {})

test_pod_or_container_profile_allowed if {
	count(p.deny) == 0 with input as pod({"seccompProfile": {"type": "RuntimeDefault"}}, {})
	count(p.deny) == 0 with input as pod({}, {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}})
}

test_no_security_context_at_all_flagged if {
	count(p.deny) == 1 with input as {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c"}]}}}}
}
