package driftgate.pod_security.capabilities_test

import data.driftgate.pod_security.capabilities as p
import rego.v1

pod(add) := {"request": {"object": {"kind": "Pod", "spec": {"initContainers": [{"name": "i", "securityContext": {"capabilities": {"add": add}}}]}}}}

test_beyond_baseline_denied if {
	p.deny == {"initContainers \"i\" adds capability SYS_ADMIN: only the baseline set may be added"} with input as pod(["NET_BIND_SERVICE", "SYS_ADMIN"])
	count(p.deny) == 1 with input as pod(["CAP_NET_ADMIN"])
}

test_baseline_set_allowed if {
	count(p.deny) == 0 with input as pod(["NET_BIND_SERVICE", "CHOWN", "CAP_KILL"])
}

test_exempt_images_are_not_judged if {
	spec := {"request": {"object": {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "mesh", "image": "istio/proxyv2:1.22", "securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}]}}}}
	count(p.deny) == 1 with input as spec
	count(p.deny) == 0 with input as spec with data.parameters.pod_security.capabilities as {"exemptImages": ["istio/*"]}
}
