# Pod Security restricted: allowPrivilegeEscalation must be set to false. Unset, it defaults to
# true: a setuid binary in the image could gain more privileges than the process started with.
package driftgate.pod_security.privilege_escalation

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.privilege_escalation

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	not entry.container.securityContext.allowPrivilegeEscalation == false
	msg := sprintf("%s \"%s\" may escalate privileges (unset means allowed): set securityContext.allowPrivilegeEscalation: false", [entry.field, entry.container.name])
}
