package driftgate.pod_security.host_ports_test

import data.driftgate.pod_security.host_ports as p
import rego.v1

pod(ports) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "ports": ports}]}}}}

test_host_port_denied if {
	p.deny == {"containers \"c\" binds host port 8080: use a Service instead"} with input as pod([{"containerPort": 80, "hostPort": 8080}])
}

test_container_port_or_zero_allowed if {
	count(p.deny) == 0 with input as pod([{"containerPort": 80}])
	count(p.deny) == 0 with input as pod([{"containerPort": 80, "hostPort": 0}])
}
