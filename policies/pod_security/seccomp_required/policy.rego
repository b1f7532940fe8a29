# Pod Security restricted: a seccomp profile (RuntimeDefault or Localhost) must be set, on the
# pod or on every container.
package driftgate.pod_security.seccomp_required

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.seccomp_required

default params := {}

# Called with the defined parent (the spec, the container): a function call whose argument is
# undefined never runs, so `not f(x.securityContext)` would say nothing when it is unset.
confined(holder) if holder.securityContext.seccompProfile.type in {"RuntimeDefault", "Localhost"}

deny contains msg if {
	not confined(pods.pod_spec)
	some entry in pods.checked(params)
	not confined(entry.container)
	msg := sprintf("%s \"%s\" has no seccomp profile: set seccompProfile.type RuntimeDefault (pod or container)", [entry.field, entry.container.name])
}
