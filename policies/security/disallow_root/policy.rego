# Containers must not run as root: runAsNonRoot (pod or container level) or a non-zero runAsUser.
package driftgate.security.disallow_root

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.security.disallow_root

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.runAsUser == 0
	msg := sprintf("%s \"%s\" runs as user 0 (root): set a non-zero runAsUser", [entry.field, entry.container.name])
}

deny contains msg if {
	some entry in pods.checked(params)
	not entry.container.securityContext.runAsUser == 0
	not non_root(entry.container)
	msg := sprintf("%s \"%s\" may run as root: set securityContext.runAsNonRoot: true (pod or container)", [entry.field, entry.container.name])
}

non_root(c) if c.securityContext.runAsNonRoot == true

non_root(c) if c.securityContext.runAsUser > 0

non_root(c) if {
	not c.securityContext.runAsNonRoot == false
	pods.pod_spec.securityContext.runAsNonRoot == true
}

non_root(c) if {
	not c.securityContext.runAsUser
	pods.pod_spec.securityContext.runAsUser > 0
}
