# Pod Security baseline: capabilities added beyond the default set (NET_ADMIN, SYS_ADMIN, …)
# give a container power over the node.
package driftgate.pod_security.capabilities

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.capabilities

default params := {}

# The capabilities the baseline level allows to be added.
baseline := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

deny contains msg if {
	some entry in pods.checked(params)
	some cap in entry.container.securityContext.capabilities.add
	not upper(trim_prefix(cap, "CAP_")) in baseline
	msg := sprintf("%s \"%s\" adds capability %s: only the baseline set may be added", [entry.field, entry.container.name, cap])
}
