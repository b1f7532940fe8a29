# Pod Security baseline: no host ports. A hostPort binds the node's own address, bypassing
# Services and NetworkPolicies.
package driftgate.pod_security.host_ports

import data.lib.pods
import rego.v1

deny contains msg if {
	some entry in pods.containers
	some port in entry.container.ports
	port.hostPort
	port.hostPort != 0
	msg := sprintf("%s \"%s\" binds host port %d: use a Service instead", [entry.field, entry.container.name, port.hostPort])
}
