# Objects of the configured kinds must carry the configured labels (ownership, cost reporting).
package driftgate.labels.required_labels

import rego.v1

params := data.parameters.labels.required_labels

deny contains msg if {
	obj := input.request.object
	obj.kind in params.kinds
	some label in params.labels
	not has_value(obj, label)
	msg := sprintf("%s \"%s\" has no value for label \"%s\": add it under metadata.labels", [obj.kind, obj.metadata.name, label])
}

# A label counts when it has a value: an empty or blank one says nothing about ownership.
has_value(obj, label) if trim_space(obj.metadata.labels[label]) != ""
