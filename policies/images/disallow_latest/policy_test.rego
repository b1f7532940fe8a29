package driftgate.images.disallow_latest_test

import data.driftgate.images.disallow_latest
import rego.v1

deploy(image) := {"request": {"object": {
	"kind": "Deployment",
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}},
}}}

test_latest_denied if count(disallow_latest.deny) == 1 with input as deploy("nginx:latest")

test_untagged_denied if count(disallow_latest.deny) == 1 with input as deploy("nginx")

test_registry_port_is_not_a_tag if count(disallow_latest.deny) == 1 with input as deploy("registry:5000/team/app")

test_tag_allowed if count(disallow_latest.deny) == 0 with input as deploy("registry:5000/team/app:1.4.2")

test_digest_allowed if count(disallow_latest.deny) == 0 with input as deploy("nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31")

test_init_containers_checked if {
	pod := {"request": {"object": {"kind": "Pod", "spec": {
		"containers": [{"name": "app", "image": "app:1.0"}],
		"initContainers": [{"name": "init", "image": "busybox"}],
	}}}}
	msgs := disallow_latest.deny with input as pod
	some msg in msgs
	contains(msg, "initContainers \"init\"")
}

test_cronjob_checked if {
	cj := {"request": {"object": {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x:latest"}]}}}}}}}}
	count(disallow_latest.deny) == 1 with input as cj
}

test_any_digest_pins if {
	every image in ["nginx@sha256:0f1e", "nginx@sha512:0f1e", "registry.example:5000/app@sha384:ab"] {
		count(disallow_latest.deny) == 0 with input as deploy(image)
	}
}
