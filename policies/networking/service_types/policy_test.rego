package driftgate.networking.service_types_test

import data.driftgate.networking.service_types as p
import rego.v1

svc(spec) := {"request": {"object": {"kind": "Service", "metadata": {"name": "s"}, "spec": spec}}}

test_node_port_and_load_balancer_flagged if {
	count(p.deny) == 1 with input as svc({"type": "NodePort"})
	count(p.deny) == 1 with input as svc({"type": "LoadBalancer"})
}

test_cluster_ip_allowed if {
	count(p.deny) == 0 with input as svc({})
	count(p.deny) == 0 with input as svc({"type": "ClusterIP"})
}

test_allowed_types_parameter if {
	count(p.deny) == 0 with input as svc({"type": "LoadBalancer"}) with data.parameters.networking.service_types as {"allowedTypes": ["ClusterIP", "LoadBalancer"]}
}
