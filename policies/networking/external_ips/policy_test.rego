package driftgate.networking.external_ips_test

import data.driftgate.networking.external_ips as p
import rego.v1

svc(spec) := {"request": {"object": {"kind": "Service", "metadata": {"name": "s"}, "spec": spec}}}

test_external_ips_flagged if {
	p.deny == {"Service \"s\" sets externalIPs (203.0.113.7): they can intercept cluster traffic (CVE-2020-8554)"} with input as svc({"externalIPs": ["203.0.113.7"]})
}

test_none_allowed if {
	count(p.deny) == 0 with input as svc({})
	count(p.deny) == 0 with input as svc({"externalIPs": []})
}
