# Pod Security baseline: no host namespaces. hostNetwork, hostPID and hostIPC let a pod see and
# reach the node's network, processes and shared memory.
package driftgate.pod_security.host_namespaces

import data.lib.pods
import rego.v1

deny contains msg if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	pods.pod_spec[field] == true
	msg := sprintf("the pod spec sets %s: true: the pod would share the node's namespace; remove it", [field])
}
