package driftgate.rbac.wildcards_test

import data.driftgate.rbac.wildcards as p
import rego.v1

role(rules) := {"request": {"object": {"kind": "ClusterRole", "metadata": {"name": "r"}, "rules": rules}}}

test_wildcards_flagged if {
	p.deny == {"ClusterRole \"r\" grants \"*\" in verbs: list what is needed"} with input as role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}])
	count(p.deny) == 3 with input as role([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
}

test_named_rules_allowed if count(p.deny) == 0 with input as role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}])
