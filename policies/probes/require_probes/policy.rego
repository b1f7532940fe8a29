# Long-running workloads (every pod controller but Jobs) must declare readiness and liveness
# probes for their containers, so rollouts wait for ready pods and hung ones are restarted.
# A probe set to null is no probe. Pods their controllers create are judged on the template.
package driftgate.probes.require_probes

import data.lib.pods
import rego.v1

long_running := {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"}

deny contains msg if {
	pods.object.kind in long_running
	some c in pods.pod_spec.containers
	some probe in ["readinessProbe", "livenessProbe"]
	not has_probe(c, probe)
	msg := sprintf("%s container \"%s\" has no %s: rollouts and restarts depend on it", [pods.object.kind, c.name, probe])
}

# A probe is an object: absent and null are both no probe.
has_probe(c, probe) if is_object(c[probe])
