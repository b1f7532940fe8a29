package driftgate.networking.unique_ingress_host_test

import data.driftgate.networking.unique_ingress_host as p
import rego.v1

ingress(claims) := {
	"request": {"object": {"kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"}}},
	"driftgate": {"ingressHosts": claims},
}

test_a_claimed_host_is_denied if {
	p.deny == {"Ingress \"web\" routes host shop.example.com, which blog/site already routes: each host belongs to one Ingress"} with input as ingress({"shop.example.com": ["blog/site"]})
}

test_free_hosts_pass if {
	count(p.deny) == 0 with input as ingress({})
	count(p.deny) == 0 with input as {"request": {"object": {"kind": "Ingress", "metadata": {"name": "web"}}}, "driftgate": {}}
}
