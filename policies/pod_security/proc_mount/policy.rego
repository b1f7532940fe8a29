# Pod Security baseline: the default /proc mount (an Unmasked one exposes the host's /proc paths).
package driftgate.pod_security.proc_mount

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.proc_mount

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	mount := entry.container.securityContext.procMount

	# null is unset, which is Default (the Pod Security admission's own reading).
	not mount in {"Default", null}
	msg := sprintf("%s \"%s\" sets procMount %s: only Default is allowed", [entry.field, entry.container.name, mount])
}
