# Pod Security baseline: no Unconfined seccomp profile (on the pod or any container): it lifts
# the syscall filter the runtime applies by default.
package driftgate.pod_security.seccomp

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.seccomp

default params := {}

deny contains msg if {
	pods.pod_spec.securityContext.seccompProfile.type == "Unconfined"
	msg := "the pod's seccompProfile is Unconfined: use RuntimeDefault or Localhost"
}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.seccompProfile.type == "Unconfined"
	msg := sprintf("%s \"%s\" has seccompProfile Unconfined: use RuntimeDefault or Localhost", [entry.field, entry.container.name])
}
