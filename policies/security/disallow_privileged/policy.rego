# No privileged containers, and no privilege escalation: either gives the container the node.
package driftgate.security.disallow_privileged

import data.lib.pods
import rego.v1

deny contains msg if {
	some entry in pods.containers
	entry.container.securityContext.privileged == true
	msg := sprintf("%s \"%s\" is privileged: remove securityContext.privileged", [entry.field, entry.container.name])
}

deny contains msg if {
	some entry in pods.containers
	entry.container.securityContext.allowPrivilegeEscalation == true
	msg := sprintf("%s \"%s\" allows privilege escalation: set securityContext.allowPrivilegeEscalation to false", [entry.field, entry.container.name])
}
