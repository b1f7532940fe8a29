package lib.images_test

import data.lib.images
import rego.v1

test_normalized if {
	images.normalized("nginx:1") == "docker.io/library/nginx:1"
	images.normalized("acme/app:1") == "docker.io/acme/app:1"
	images.normalized("docker.io/nginx:1") == "docker.io/library/nginx:1"
	images.normalized("index.docker.io/library/nginx:1") == "docker.io/library/nginx:1"
	images.normalized("ghcr.io/acme/app:1") == "ghcr.io/acme/app:1"
	images.normalized("localhost:5000/app:1") == "localhost:5000/app:1"
}
