package driftgate.pod_security.volume_types_test

import data.driftgate.pod_security.volume_types as p
import rego.v1

pod(volumes) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [], "volumes": volumes}}}}

test_other_types_flagged if {
	count(p.deny) == 1 with input as pod([{"name": "n", "nfs": {"server": "x", "path": "/"}}])
	count(p.deny) == 1 with input as pod([{"name": "h", "hostPath": {"path": "/"}}])
}

test_restricted_types_allowed if {
	count(p.deny) == 0 with input as pod([{"name": "a", "emptyDir": {}}, {"name": "b", "configMap": {"name": "x"}}, {"name": "c", "persistentVolumeClaim": {"claimName": "d"}}])
}
