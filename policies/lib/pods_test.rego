package lib.pods_test

import data.lib.pods
import rego.v1

pod := {"request": {"object": {"kind": "Pod", "spec": {
	"containers": [{"name": "app", "image": "registry.example/app:1"}, {"name": "mesh", "image": "istio/proxyv2:1.22"}],
	"initContainers": [{"name": "init", "image": "istio/proxyv2:1.22"}],
}}}}

names(entries) := {e.container.name | some e in entries}

test_checked_without_exemptions_is_every_container if {
	names(pods.checked({})) == {"app", "mesh", "init"} with input as pod
}

test_exempt_images_exact_and_prefix if {
	names(pods.checked({"exemptImages": ["istio/proxyv2:1.22"]})) == {"app"} with input as pod
	names(pods.checked({"exemptImages": ["istio/*"]})) == {"app"} with input as pod
	names(pods.checked({"exemptImages": ["istio/proxyv2"]})) == {"app", "mesh", "init"} with input as pod
}

test_container_without_image_is_judged if {
	names(pods.checked({"exemptImages": ["*"]})) == {"x"} with input as {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "x"}]}}}}
}
