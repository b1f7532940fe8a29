package driftgate.labels.default_labels_test

import data.driftgate.labels.default_labels as p
import rego.v1

params := {"kinds": ["Deployment"], "labels": {"team": "unassigned", "example.com/tier": "web"}, "annotations": {}}

req(op, metadata) := {"request": {"operation": op, "object": {"kind": "Deployment", "metadata": metadata}}}

test_adds_whole_map_when_absent if {
	ops := p.patch with input as req("CREATE", {"name": "x"}) with data.parameters.labels.default_labels as params
	ops == {{"op": "add", "path": "/metadata/labels", "value": {"team": "unassigned", "example.com/tier": "web"}}}
}

test_adds_missing_keys_escaped if {
	ops := p.patch with input as req("UPDATE", {"name": "x", "labels": {"team": "payments"}}) with data.parameters.labels.default_labels as params
	ops == {{"op": "add", "path": "/metadata/labels/example.com~1tier", "value": "web"}}
}

test_no_patch_when_complete if {
	count(p.patch) == 0 with input as req("CREATE", {"name": "x", "labels": {"team": "a", "example.com/tier": "b"}}) with data.parameters.labels.default_labels as params
}

test_no_patch_on_delete if count(p.patch) == 0 with input as req("DELETE", {"name": "x"}) with data.parameters.labels.default_labels as params
