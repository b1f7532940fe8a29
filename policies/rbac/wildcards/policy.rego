# No wildcard verbs or resources in Roles and ClusterRoles: "*" grants what does not exist yet.
package driftgate.rbac.wildcards

import rego.v1

deny contains msg if {
	input.request.object.kind in {"Role", "ClusterRole"}
	some rule in input.request.object.rules
	some field in ["verbs", "resources", "apiGroups"]
	"*" in object.get(rule, field, [])
	msg := sprintf("%s \"%s\" grants \"*\" in %s: list what is needed", [input.request.object.kind, input.request.object.metadata.name, field])
}
