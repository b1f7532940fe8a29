package driftgate.pod_security.selinux_test

import data.driftgate.pod_security.selinux as p
import rego.v1

pod(opts) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c", "securityContext": {"seLinuxOptions": opts}}]}}}}

test_other_type_user_role_denied if {
	p.deny == {"containers \"c\" sets SELinux type spc_t: only container_engine_t, container_init_t, container_kvm_t, container_t"} with input as pod({"type": "spc_t"})
	count(p.deny) == 2 with input as pod({"user": "system_u", "role": "system_r"})
}

test_container_type_and_level_allowed if {
	count(p.deny) == 0 with input as pod({"type": "container_t", "level": "s0:c123,c456"})
	count(p.deny) == 0 with input as {"request": {"object": {"kind": "Pod", "spec": {"containers": [{"name": "c"}]}}}}
}
