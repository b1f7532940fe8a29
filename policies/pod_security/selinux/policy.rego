# Pod Security baseline: SELinux options may only pick the container types, never a user or role.
package driftgate.pod_security.selinux

import data.lib.pods
import rego.v1

# This policy's parameters (exemptImages: images it does not judge).
params := data.parameters.pod_security.selinux

default params := {}

allowed_types := {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

contexts contains {"where": "the pod", "opts": pods.pod_spec.securityContext.seLinuxOptions}

contexts contains {"where": sprintf("%s \"%s\"", [entry.field, entry.container.name]), "opts": entry.container.securityContext.seLinuxOptions} if {
	some entry in pods.checked(params)
}

deny contains msg if {
	some c in contexts
	t := c.opts.type
	t != ""
	not t in allowed_types
	msg := sprintf("%s sets SELinux type %s: only %s", [c.where, t, concat(", ", sort([x | some x in allowed_types]))])
}

deny contains msg if {
	some c in contexts
	some field in ["user", "role"]
	c.opts[field] != ""
	msg := sprintf("%s sets an SELinux %s: not allowed", [c.where, field])
}
