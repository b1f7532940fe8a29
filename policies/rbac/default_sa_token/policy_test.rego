package driftgate.rbac.default_sa_token_test

import data.driftgate.rbac.default_sa_token as p
import rego.v1

pod(spec) := {"request": {"object": {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}}}

deploy(spec) := {"request": {"object": {"kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": {"spec": spec}}}}}

test_default_account_with_token_flagged if {
	count(p.deny) == 1 with input as pod({"containers": [{"name": "a", "image": "x:1"}]})
	count(p.deny) == 1 with input as pod({"serviceAccountName": "default", "containers": []})
	count(p.deny) == 1 with input as deploy({"automountServiceAccountToken": true, "containers": []})
}

test_opted_out_or_own_account_passes if {
	count(p.deny) == 0 with input as pod({"automountServiceAccountToken": false, "containers": []})
	count(p.deny) == 0 with input as deploy({"serviceAccountName": "shop", "containers": []})
}

test_other_kinds_pass if {
	count(p.deny) == 0 with input as {"request": {"object": {"kind": "ConfigMap", "metadata": {"name": "c"}}}}
}
