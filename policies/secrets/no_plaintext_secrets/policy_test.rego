package driftgate.secrets.no_plaintext_secrets_test

import data.driftgate.secrets.no_plaintext_secrets as p
import rego.v1

params := {"namespaces": ["payments"], "exemptTypes": ["kubernetes.io/service-account-token"]}

secret(ns, extra) := object.union({"kind": "Secret", "metadata": {"name": "s", "namespace": ns}}, extra)

test_plaintext_in_governed_namespace if {
	count(p.deny) == 1 with input as {"request": {"object": secret("payments", {"data": {"k": "dg=="}})}} with data.parameters.secrets.no_plaintext_secrets as params
}

test_git_managed_namespace_from_context if {
	count(p.deny) == 1 with input as {"request": {"object": secret("web", {"stringData": {"k": "v"}})}, "driftgate": {"namespaceManaged": true}} with data.parameters.secrets.no_plaintext_secrets as params
}

test_ungoverned_namespace_allowed if {
	count(p.deny) == 0 with input as {"request": {"object": secret("scratch", {"data": {"k": "dg=="}})}} with data.parameters.secrets.no_plaintext_secrets as params
}

test_exempt_type_allowed if {
	count(p.deny) == 0 with input as {"request": {"object": secret("payments", {"type": "kubernetes.io/service-account-token", "data": {"token": "eA=="}})}} with data.parameters.secrets.no_plaintext_secrets as params
}

test_sealed_secret_allowed if {
	count(p.deny) == 0 with input as {"request": {"object": {"kind": "SealedSecret", "metadata": {"name": "s", "namespace": "payments"}, "spec": {"encryptedData": {"k": "AgB..."}}}}} with data.parameters.secrets.no_plaintext_secrets as params
}
