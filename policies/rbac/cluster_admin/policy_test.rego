package driftgate.rbac.cluster_admin_test

import data.driftgate.rbac.cluster_admin as p
import rego.v1

binding(kind, role) := {"request": {"object": {"kind": kind, "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": role}}}}

test_cluster_admin_flagged if {
	count(p.deny) == 1 with input as binding("ClusterRoleBinding", "cluster-admin")
	count(p.deny) == 1 with input as binding("RoleBinding", "cluster-admin")
}

test_other_roles_allowed if count(p.deny) == 0 with input as binding("RoleBinding", "view")
