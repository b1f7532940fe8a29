# Images must name a tag other than "latest" (or a digest): ":latest" and untagged images are
# not reproducible, so a rollback or a new node may run different code.
package driftgate.images.disallow_latest

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.images.disallow_latest

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	image := entry.container.image
	not pinned(image)
	msg := sprintf("%s \"%s\" uses image \"%s\": pin a version tag or digest instead of latest or no tag", [entry.field, entry.container.name, image])
}

# A digest pins it, whatever the algorithm (sha256, sha384, sha512).
pinned(image) if {
	some alg in ["sha256", "sha384", "sha512"]
	contains(image, concat("", ["@", alg, ":"]))
}

pinned(image) if {
	not contains(image, "@")
	tag := image_tag(image)
	tag != ""
	tag != "latest"
}

# The tag is whatever follows the last ":" after the last "/" (a registry port is not a tag).
image_tag(image) := tag if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	segs := split(last, ":")
	tag := segs[count(segs) - 1]
}

image_tag(image) := "" if {
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}
