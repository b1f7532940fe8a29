package driftgate.pod_security.host_namespaces_test

import data.driftgate.pod_security.host_namespaces as p
import rego.v1

deploy(spec) := {"request": {"object": {"kind": "Deployment", "spec": {"template": {"spec": object.union({"containers": []}, spec)}}}}}

test_each_host_namespace_denied if {
	every field in ["hostNetwork", "hostPID", "hostIPC"] {
		count(p.deny) == 1 with input as deploy({field: true})
	}
}

test_false_or_unset_allowed if {
	count(p.deny) == 0 with input as deploy({"hostNetwork": false})
	count(p.deny) == 0 with input as deploy({})
}
