package driftgate.pod_security.host_process_test

import data.driftgate.pod_security.host_process as p
import rego.v1

pod(podsc, sc) := {"request": {"object": {"kind": "Pod", "spec": {"securityContext": podsc, "containers": [{"name": "c", "securityContext": sc}]}}}}

test_host_process_denied if {
	count(p.deny) == 1 with input as pod({"windowsOptions": {"hostProcess": true}}, {})
	count(p.deny) == 1 with input as pod({}, {"windowsOptions": {"hostProcess": true}})
}

test_unset_or_false_allowed if {
	count(p.deny) == 0 with input as pod({}, {})
	count(p.deny) == 0 with input as pod({"windowsOptions": {"hostProcess": false}}, {})
}
