package driftgate.security.disallow_root_test

import data.driftgate.security.disallow_root as p
import rego.v1

pod(podsc, sc) := {"request": {"object": {"kind": "Pod", "spec": {"securityContext": podsc, "containers": [{"name": "c", "image": "a:1", "securityContext": sc}]}}}}

test_pod_level_non_root if count(p.deny) == 0 with input as pod({"runAsNonRoot": true}, {})

test_container_level_user if count(p.deny) == 0 with input as pod({}, {"runAsUser": 1000})

test_unset_denied if count(p.deny) == 1 with input as pod({}, {})

test_uid_zero_denied if {
	msgs := p.deny with input as pod({"runAsNonRoot": true}, {"runAsUser": 0})
	count(msgs) == 1
	some msg in msgs
	contains(msg, "user 0")
}

test_container_overrides_pod if count(p.deny) == 1 with input as pod({"runAsNonRoot": true}, {"runAsNonRoot": false})
