package driftgate.images.allowed_registries_test

import data.driftgate.images.allowed_registries
import rego.v1

params := {"registries": ["ghcr.io/acme/", "docker.io/library/"]}

pod(image) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "image": image}]}}}}

test_allowed_prefix if {
	count(allowed_registries.deny) == 0 with input as pod("ghcr.io/acme/api:1.2") with data.parameters.images.allowed_registries as params
}

test_docker_hub_short_name_normalised if {
	count(allowed_registries.deny) == 0 with input as pod("nginx:1.27") with data.parameters.images.allowed_registries as params
}

test_other_registry_denied if {
	msgs := allowed_registries.deny with input as pod("quay.io/evil/miner:1") with data.parameters.images.allowed_registries as params
	count(msgs) == 1
	some msg in msgs
	contains(msg, "quay.io/evil/miner:1")
}

test_docker_hub_user_image_denied if {
	count(allowed_registries.deny) == 1 with input as pod("someone/tool:1") with data.parameters.images.allowed_registries as params
}

# docker.io, index.docker.io and the short name are one registry; official images are library/.
test_docker_hub_spellings_normalised if {
	every image in ["docker.io/nginx:1.25", "index.docker.io/library/nginx:1.25", "registry-1.docker.io/nginx@sha256:abc"] {
		count(allowed_registries.deny) == 0 with input as pod(image) with data.parameters.images.allowed_registries as params
	}
}

test_docker_hub_user_images_are_not_library if {
	count(allowed_registries.deny) == 1 with input as pod("docker.io/someone/nginx:1.25") with data.parameters.images.allowed_registries as params
	count(allowed_registries.deny) == 1 with input as pod("someone/nginx:1.25") with data.parameters.images.allowed_registries as params
}
