package driftgate.security.disallow_privileged_test

import data.driftgate.security.disallow_privileged as p
import rego.v1

pod(sc) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "a:1", "securityContext": sc}]}}}}

test_privileged_denied if count(p.deny) == 1 with input as pod({"privileged": true})

test_escalation_denied if count(p.deny) == 1 with input as pod({"allowPrivilegeEscalation": true})

test_plain_allowed if count(p.deny) == 0 with input as pod({"privileged": false})

test_daemonset_init_container if {
	ds := {"request": {"object": {"kind": "DaemonSet", "spec": {"template": {"spec": {"containers": [], "initContainers": [{"name": "i", "securityContext": {"privileged": true}}]}}}}}}
	count(p.deny) == 1 with input as ds
}
