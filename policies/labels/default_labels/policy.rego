# Mutating: add default labels and annotations that an object lacks (a JSON patch). Present
# values are never overwritten.
package driftgate.labels.default_labels

import rego.v1

params := data.parameters.labels.default_labels

obj := input.request.object

applies if {
	input.request.operation in {"CREATE", "UPDATE"}
	obj.kind in params.kinds
}

# RFC 6901: "~" → "~0", "/" → "~1".
escape(key) := replace(replace(key, "~", "~0"), "/", "~1")

patch contains op if {
	applies
	some field in ["labels", "annotations"]
	count(params[field]) > 0
	not obj.metadata[field]
	op := {"op": "add", "path": sprintf("/metadata/%s", [field]), "value": params[field]}
}

patch contains op if {
	applies
	some field in ["labels", "annotations"]
	obj.metadata[field]
	some key, value in params[field]
	not obj.metadata[field][key]
	op := {"op": "add", "path": sprintf("/metadata/%s/%s", [field, escape(key)]), "value": value}
}
