# A pod that runs as the namespace's default ServiceAccount gets its API token mounted unless it
# says not to. Workloads that need the API get a ServiceAccount of their own; the rest opt out.
package driftgate.rbac.default_sa_token

import data.lib.pods
import rego.v1

# The ServiceAccount the pod runs as ("default" when unset, as the apiserver fills it in).
account := object.get(pods.pod_spec, "serviceAccountName", "default")

deny contains msg if {
	pods.pod_spec
	account == "default"
	object.get(pods.pod_spec, "automountServiceAccountToken", true) != false
	msg := "the pod runs as the default ServiceAccount with its API token mounted: set automountServiceAccountToken: false, or give the workload its own ServiceAccount"
}
