# Shared helpers: every pod spec an admission object carries, for any workload kind.
package lib.pods

import rego.v1

# The object under review (null on DELETE).
object := input.request.object

# The pod spec of a Pod, of a workload's template, or of a CronJob's job template.
pod_spec := object.spec if object.kind == "Pod"

pod_spec := object.spec.template.spec if object.kind in {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

pod_spec := object.spec.jobTemplate.spec.template.spec if object.kind == "CronJob"

# The pod metadata (labels, annotations) beside that spec: the Pod's own, or its template's.
pod_metadata := object.metadata if object.kind == "Pod"

pod_metadata := object.spec.template.metadata if object.kind in {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"}

pod_metadata := object.spec.jobTemplate.spec.template.metadata if object.kind == "CronJob"

# Every container with where it lives: containers, initContainers and ephemeralContainers.
containers contains {"container": c, "field": field} if {
	some field in ["containers", "initContainers", "ephemeralContainers"]
	some c in pod_spec[field]
}

# The kinds whose pod spec this library reads.
workload_kinds := {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController"}

# The containers a policy judges: every container except those whose image the policy's
# `exemptImages` parameter names, exactly or by a prefix ending in `*` (as the Gatekeeper
# library's exemptImages). Pass the policy's parameters object (always defined in a bundle).
checked(params) := {entry |
	some entry in containers
	not exempt_image(entry.container, params)
}

exempt_image(container, params) if {
	some pattern in params.exemptImages
	image_matches(container.image, pattern)
}

image_matches(image, pattern) if {
	not endswith(pattern, "*")
	image == pattern
}

image_matches(image, pattern) if {
	endswith(pattern, "*")
	startswith(image, trim_suffix(pattern, "*"))
}
