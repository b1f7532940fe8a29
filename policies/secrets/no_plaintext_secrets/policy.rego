# In Git-managed namespaces, Secrets must not carry plaintext data: Git would hold the secret.
# Commit a SealedSecret or an ExternalSecret instead (they are other kinds, so they pass).
package driftgate.secrets.no_plaintext_secrets

import rego.v1

params := data.parameters.secrets.no_plaintext_secrets

obj := input.request.object

governed if input.driftgate.namespaceManaged == true

governed if obj.metadata.namespace in params.namespaces

deny contains msg if {
	obj.kind == "Secret"
	governed
	not object.get(obj, "type", "Opaque") in params.exemptTypes
	some field in ["data", "stringData"]
	count(object.get(obj, field, {})) > 0
	msg := sprintf("Secret \"%s\" carries plaintext %s in a Git-managed namespace: commit a SealedSecret or ExternalSecret instead", [obj.metadata.name, field])
}
