# No hostPath volumes: they expose the node's file system to the pod.
package driftgate.security.disallow_host_path

import data.lib.pods
import rego.v1

deny contains msg if {
	some volume in pods.pod_spec.volumes
	volume.hostPath
	msg := sprintf("volume \"%s\" mounts host path \"%s\": use a PersistentVolumeClaim, ConfigMap or emptyDir", [volume.name, volume.hostPath.path])
}
