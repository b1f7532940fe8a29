package driftgate.security.disallow_host_path_test

import data.driftgate.security.disallow_host_path as p
import rego.v1

sts(volumes) := {"request": {"object": {"kind": "StatefulSet", "spec": {"template": {"spec": {"containers": [], "volumes": volumes}}}}}}

test_host_path_denied if count(p.deny) == 1 with input as sts([{"name": "root", "hostPath": {"path": "/"}}])

test_empty_dir_allowed if count(p.deny) == 0 with input as sts([{"name": "tmp", "emptyDir": {}}])

test_no_volumes_allowed if count(p.deny) == 0 with input as {"request": {"object": {"kind": "ConfigMap"}}}
