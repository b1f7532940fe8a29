package driftgate.pod_security.proc_mount_test

import data.driftgate.pod_security.proc_mount as p
import rego.v1

pod(sc) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "securityContext": sc}]}}}}

test_unmasked_denied if count(p.deny) == 1 with input as pod({"procMount": "Unmasked"})

test_default_or_unset_allowed if {
	count(p.deny) == 0 with input as pod({"procMount": "Default"})
	count(p.deny) == 0 with input as pod({})
}

# procMount: null is unset (Default), as the Pod Security admission reads it.
test_null_is_default if count(p.deny) == 0 with input as pod({"procMount": null})
