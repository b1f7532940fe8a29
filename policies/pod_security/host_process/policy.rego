# Pod Security baseline: no Windows HostProcess containers (they run as a process on the node).
package driftgate.pod_security.host_process

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.host_process

default params := {}

deny contains msg if {
	pods.pod_spec.securityContext.windowsOptions.hostProcess == true
	msg := "the pod sets windowsOptions.hostProcess: true: it would run on the node itself"
}

deny contains msg if {
	some entry in pods.checked(params)
	entry.container.securityContext.windowsOptions.hostProcess == true
	msg := sprintf("%s \"%s\" sets windowsOptions.hostProcess: true: it would run on the node itself", [entry.field, entry.container.name])
}
