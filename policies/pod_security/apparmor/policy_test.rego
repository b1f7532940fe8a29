package driftgate.pod_security.apparmor_test

import data.driftgate.pod_security.apparmor as p
import rego.v1

pod(meta, sc) := {"request": {"object": {"kind": "Pod", "metadata": meta, "spec": {"containers": [{"name": "c", "securityContext": sc}]}}}}

test_unconfined_denied if {
	count(p.deny) == 1 with input as pod({}, {"appArmorProfile": {"type": "Unconfined"}})
	count(p.deny) == 1 with input as pod({"annotations": {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}}, {})
}

test_runtime_default_or_unset_allowed if {
	count(p.deny) == 0 with input as pod({}, {"appArmorProfile": {"type": "RuntimeDefault"}})
	count(p.deny) == 0 with input as pod({}, {})
}

cronjob(annotations) := {"request": {"object": {"kind": "CronJob", "metadata": {}, "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"annotations": annotations}, "spec": {"containers": [{"name": "c"}]}}}}}}}}

deployment(annotations) := {"request": {"object": {"kind": "Deployment", "metadata": {}, "spec": {"template": {"metadata": {"annotations": annotations}, "spec": {"containers": [{"name": "c"}]}}}}}}

# A CronJob's pod template is spec.jobTemplate.spec.template (the Pod Security test cases say so).
test_unconfined_annotation_in_every_pod_template if {
	unconfined := {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
	count(p.deny) == 1 with input as cronjob(unconfined)
	count(p.deny) == 1 with input as deployment(unconfined)
	count(p.deny) == 0 with input as cronjob({"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"})
}
