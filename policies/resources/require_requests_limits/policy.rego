# Containers must declare CPU and memory requests and limits, so the scheduler can place them
# and one workload cannot starve its neighbours. Optional ceiling: maxMemoryLimit ("8Gi").
package driftgate.resources.require_requests_limits

import data.lib.pods
import rego.v1

params := data.parameters.resources.require_requests_limits

default params := {}

# Ephemeral (debug) containers cannot carry resources, so only these two lists are checked.
checked(entry) if entry.field in {"containers", "initContainers"}

deny contains msg if {
	some entry in pods.checked(params)
	checked(entry)
	some section in ["requests", "limits"]
	some resource in params[section]
	not entry.container.resources[section][resource]
	msg := sprintf("%s \"%s\" has no %s.%s: set resources.%s.%s", [entry.field, entry.container.name, section, resource, section, resource])
}

deny contains msg if {
	params.maxMemoryLimit
	some entry in pods.checked(params)
	checked(entry)
	limit := entry.container.resources.limits.memory
	units.parse_bytes(limit) > units.parse_bytes(params.maxMemoryLimit)
	msg := sprintf("%s \"%s\" asks for a memory limit of %s, above the maximum %s", [entry.field, entry.container.name, limit, params.maxMemoryLimit])
}
