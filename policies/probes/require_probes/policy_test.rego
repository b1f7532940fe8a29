package driftgate.probes.require_probes_test

import data.driftgate.probes.require_probes as p
import rego.v1

deploy(c) := {"request": {"object": {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [c]}}}}}}

probe := {"httpGet": {"path": "/", "port": 8080}}

test_both_present if count(p.deny) == 0 with input as deploy({"name": "a", "readinessProbe": probe, "livenessProbe": probe})

test_both_missing if count(p.deny) == 2 with input as deploy({"name": "a"})

test_only_deployments if count(p.deny) == 0 with input as {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "a"}]}}}}
