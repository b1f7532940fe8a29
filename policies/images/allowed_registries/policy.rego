# Images must come from an allowed registry (data.parameters.images.allowed_registries.registries:
# prefixes of the fully qualified reference, such as "ghcr.io/acme/").
package driftgate.images.allowed_registries

import data.lib.images
import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.images.allowed_registries

default params := {}

allowed := data.parameters.images.allowed_registries.registries

deny contains msg if {
	some entry in pods.checked(params)
	ref := images.normalized(entry.container.image)
	not from_allowed(ref)
	msg := sprintf("%s \"%s\" uses image \"%s\" from a registry that is not allowed (allowed: %s)", [entry.field, entry.container.name, entry.container.image, concat(", ", allowed)])
}

from_allowed(ref) if {
	some prefix in allowed
	startswith(ref, prefix)
}
