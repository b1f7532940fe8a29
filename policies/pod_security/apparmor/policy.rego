# Pod Security baseline: no Unconfined AppArmor profile (field or legacy annotation).
package driftgate.pod_security.apparmor

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.apparmor

default params := {}

deny contains msg if {
	pods.pod_spec.securityContext.appArmorProfile.type == "Unconfined"
	msg := "the pod's appArmorProfile is Unconfined: use RuntimeDefault or Localhost"
}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.appArmorProfile.type == "Unconfined"
	msg := sprintf("%s \"%s\" has appArmorProfile Unconfined: use RuntimeDefault or Localhost", [entry.field, entry.container.name])
}

deny contains msg if {
	some key, value in pods.pod_metadata.annotations
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	value == "unconfined"
	msg := sprintf("annotation %s is unconfined: use runtime/default or localhost/<profile>", [key])
}
