# Pod Security restricted: containers drop ALL capabilities and add back at most NET_BIND_SERVICE.
package driftgate.pod_security.drop_all

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.drop_all

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	entry.field != "ephemeralContainers"
	not drops_all(entry.container)
	msg := sprintf("%s \"%s\" does not drop ALL capabilities: set securityContext.capabilities.drop: [ALL]", [entry.field, entry.container.name])
}

deny contains msg if {
	some entry in pods.checked(params)
	some cap in entry.container.securityContext.capabilities.add
	not upper(trim_prefix(cap, "CAP_")) == "NET_BIND_SERVICE"
	msg := sprintf("%s \"%s\" adds %s: Pod Security restricted allows only NET_BIND_SERVICE", [entry.field, entry.container.name, cap])
}

drops_all(c) if "ALL" in c.securityContext.capabilities.drop
