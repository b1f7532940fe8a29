package driftgate.resources.require_requests_limits_test

import data.driftgate.resources.require_requests_limits as p
import rego.v1

params := {"requests": ["cpu", "memory"], "limits": ["memory"], "maxMemoryLimit": "1Gi"}

deploy(resources) := {"request": {"object": {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "a:1", "resources": resources}]}}}}}}

full := {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}

test_complete_passes if count(p.deny) == 0 with input as deploy(full) with data.parameters.resources.require_requests_limits as params

test_missing_each_reported if {
	msgs := p.deny with input as deploy({}) with data.parameters.resources.require_requests_limits as params
	count(msgs) == 3
}

test_memory_ceiling_uses_units if {
	big := {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
	msgs := p.deny with input as deploy(big) with data.parameters.resources.require_requests_limits as params
	some msg in msgs
	contains(msg, "above the maximum 1Gi")
}

test_ephemeral_not_checked if {
	pod := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "app", "image": "a:1", "resources": full}], "ephemeralContainers": [{"name": "dbg", "image": "busybox:1"}]}}}}
	count(p.deny) == 0 with input as pod with data.parameters.resources.require_requests_limits as params
}
