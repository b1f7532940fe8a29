# No Service externalIPs: anyone who may create a Service could intercept traffic to any IP
# (CVE-2020-8554).
package driftgate.networking.external_ips

import rego.v1

deny contains msg if {
	input.request.object.kind == "Service"
	count(object.get(input.request.object.spec, "externalIPs", [])) > 0
	msg := sprintf("Service \"%s\" sets externalIPs (%s): they can intercept cluster traffic (CVE-2020-8554)", [input.request.object.metadata.name, concat(", ", input.request.object.spec.externalIPs)])
}
