# Image reference helpers.
package lib.images

import rego.v1

# The registry host of an image reference; Docker Hub when the first segment is not a host.
registry(image) := host if {
	parts := split(image, "/")
	count(parts) > 1
	first := parts[0]
	is_host(first)
	host := first
}

registry(image) := "docker.io" if {
	parts := split(image, "/")
	not is_host_first(parts)
}

is_host_first(parts) if {
	count(parts) > 1
	is_host(parts[0])
}

is_host(s) if contains(s, ".")

is_host(s) if contains(s, ":")

is_host("localhost")

# The fully qualified reference: "nginx:1" → "docker.io/library/nginx:1".
normalized(image) := image if is_host_first(split(image, "/"))

normalized(image) := concat("/", ["docker.io", image]) if {
	parts := split(image, "/")
	not is_host_first(parts)
	count(parts) > 1
}

normalized(image) := concat("/", ["docker.io/library", image]) if count(split(image, "/")) == 1
