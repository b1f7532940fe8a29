# No privileged containers, and no privilege escalation: either gives the container the node.
package driftgate.security.disallow_privileged

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.security.disallow_privileged

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.privileged == true
	msg := sprintf("%s \"%s\" is privileged: remove securityContext.privileged", [entry.field, entry.container.name])
}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.allowPrivilegeEscalation == true
	msg := sprintf("%s \"%s\" allows privilege escalation: set securityContext.allowPrivilegeEscalation to false", [entry.field, entry.container.name])
}
