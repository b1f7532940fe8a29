# Services stay inside the cluster unless the platform says otherwise: NodePort opens a port on
# every node, LoadBalancer provisions an external address (parameter `allowedTypes`).
package driftgate.networking.service_types

import rego.v1

default allowed := ["ClusterIP", "ExternalName"]

allowed := data.parameters.networking.service_types.allowedTypes

deny contains msg if {
	input.request.object.kind == "Service"
	t := object.get(input.request.object.spec, "type", "ClusterIP")
	not t in allowed
	msg := sprintf("Service \"%s\" is of type %s, which exposes it outside the cluster (allowed: %s)", [input.request.object.metadata.name, t, concat(", ", allowed)])
}
