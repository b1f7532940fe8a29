# Pod Security baseline: no host ports. A hostPort binds the node's own address, bypassing
# Services and NetworkPolicies.
package driftgate.pod_security.host_ports

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.host_ports

default params := {}

deny contains msg if {
	some entry in pods.checked(params)
	some port in entry.container.ports
	port.hostPort
	port.hostPort != 0
	msg := sprintf("%s \"%s\" binds host port %d: use a Service instead", [entry.field, entry.container.name, port.hostPort])
}
