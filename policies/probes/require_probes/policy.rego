# Deployments must declare readiness and liveness probes for their containers, so rollouts wait
# for ready pods and hung ones are restarted.
package driftgate.probes.require_probes

import rego.v1

deny contains msg if {
	input.request.object.kind == "Deployment"
	some c in input.request.object.spec.template.spec.containers
	some probe in ["readinessProbe", "livenessProbe"]
	not c[probe]
	msg := sprintf("container \"%s\" has no %s: rollouts and restarts depend on it", [c.name, probe])
}
