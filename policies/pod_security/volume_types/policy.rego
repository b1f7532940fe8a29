# Pod Security restricted: only volume types that cannot reach the node or other tenants'
# storage directly.
package driftgate.pod_security.volume_types

import data.lib.pods
import rego.v1

allowed := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
	"projected", "secret",
}

deny contains msg if {
	some volume in pods.pod_spec.volumes
	some field, _ in volume
	field != "name"
	not field in allowed
	msg := sprintf("volume \"%s\" is of type %s: Pod Security restricted allows %s", [volume.name, field, concat(", ", sort([x | some x in allowed]))])
}
