package driftgate.pod_security.privilege_escalation_test

import data.driftgate.pod_security.privilege_escalation as p
import rego.v1

pod(sc) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [object.union({"name": "c"}, sc)]}}}}

test_unset_counts_as_allowed_escalation if {
	count(p.deny) == 1 with input as pod({})
	count(p.deny) == 1 with input as pod({"securityContext": {}})
}

test_true_denied if count(p.deny) == 1 with input as pod({"securityContext": {"allowPrivilegeEscalation": true}})

test_false_allowed if count(p.deny) == 0 with input as pod({"securityContext": {"allowPrivilegeEscalation": false}})
