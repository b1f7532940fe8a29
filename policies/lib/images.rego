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

# The fully qualified reference, as the container runtime resolves it: "nginx:1" and
# "docker.io/nginx:1" → "docker.io/library/nginx:1"; index.docker.io is docker.io.
normalized(image) := qualified(host, rest) if {
	parts := split(image, "/")
	is_host_first(parts)
	host := canonical_host(parts[0])
	rest := array.slice(parts, 1, count(parts))
}

normalized(image) := qualified("docker.io", split(image, "/")) if not is_host_first(split(image, "/"))

docker_hub := {"docker.io", "index.docker.io", "registry-1.docker.io"}

canonical_host(h) := "docker.io" if h in docker_hub

canonical_host(h) := h if not h in docker_hub

# Docker Hub's official images live under library/.
qualified(host, rest) := concat("/", array.concat([host, "library"], rest)) if {
	host == "docker.io"
	count(rest) == 1
}

qualified(host, rest) := concat("/", array.concat([host], rest)) if {
	not official(host, rest)
}

official(host, rest) if {
	host == "docker.io"
	count(rest) == 1
}
