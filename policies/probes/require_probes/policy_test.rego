package driftgate.probes.require_probes_test

import data.driftgate.probes.require_probes as p
import rego.v1

template(kind, c) := {"request": {"object": {"kind": kind, "spec": {"template": {"spec": {"containers": [c]}}}}}}

deploy(c) := template("Deployment", c)

probe := {"httpGet": {"path": "/", "port": 8080}}

test_both_present if count(p.deny) == 0 with input as deploy({"name": "a", "readinessProbe": probe, "livenessProbe": probe})

test_both_missing if count(p.deny) == 2 with input as deploy({"name": "a"})

test_null_is_missing if {
	p.deny == {"Deployment container \"a\" has no livenessProbe: rollouts and restarts depend on it"} with input as deploy({"name": "a", "readinessProbe": probe, "livenessProbe": null})
}

test_every_long_running_controller if {
	every kind in ["StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"] {
		count(p.deny) == 2 with input as template(kind, {"name": "a"})
	}
}

test_not_jobs_or_bare_pods if {
	count(p.deny) == 0 with input as template("Job", {"name": "a"})
	count(p.deny) == 0 with input as {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "a"}]}}}}
}
