package driftgate.labels.required_labels_test

import data.driftgate.labels.required_labels as p
import rego.v1

params := {"kinds": ["Deployment"], "labels": ["app.kubernetes.io/name", "team"]}

obj(kind, labels) := {"request": {"object": {"kind": kind, "metadata": {"name": "x", "labels": labels}}}}

test_all_present if count(p.deny) == 0 with input as obj("Deployment", {"app.kubernetes.io/name": "x", "team": "a"}) with data.parameters.labels.required_labels as params

test_each_missing_reported if count(p.deny) == 2 with input as obj("Deployment", {}) with data.parameters.labels.required_labels as params

test_other_kinds_ignored if count(p.deny) == 0 with input as obj("ConfigMap", {}) with data.parameters.labels.required_labels as params

test_empty_or_blank_value_is_missing if {
	p.deny == {"Deployment \"x\" has no value for label \"team\": add it under metadata.labels"} with input as obj("Deployment", {"app.kubernetes.io/name": "x", "team": " "}) with data.parameters.labels.required_labels as params
}
