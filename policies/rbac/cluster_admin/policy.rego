# No binding to cluster-admin: it grants everything, everywhere.
package driftgate.rbac.cluster_admin

import rego.v1

deny contains msg if {
	input.request.object.kind in {"ClusterRoleBinding", "RoleBinding"}
	input.request.object.roleRef.kind == "ClusterRole"
	input.request.object.roleRef.name == "cluster-admin"
	msg := sprintf("%s \"%s\" binds cluster-admin: grant a narrower role", [input.request.object.kind, input.request.object.metadata.name])
}
