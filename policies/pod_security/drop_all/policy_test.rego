package driftgate.pod_security.drop_all_test

import data.driftgate.pod_security.drop_all as p
import rego.v1

pod(caps) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "securityContext": {"capabilities": caps}}]}}}}

test_not_dropping_flagged if {
	count(p.deny) == 1 with input as pod({})
	count(p.deny) == 1 with input as pod({"drop": ["NET_RAW"]})
}

test_adding_more_than_bind_flagged if count(p.deny) == 1 with input as pod({"drop": ["ALL"], "add": ["CHOWN"]})

test_drop_all_allowed if count(p.deny) == 0 with input as pod({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})
