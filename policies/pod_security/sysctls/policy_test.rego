package driftgate.pod_security.sysctls_test

import data.driftgate.pod_security.sysctls as p
import rego.v1

pod(names) := {"request": {"object": {"kind": "Pod", "spec": {"containers": [], "securityContext": {"sysctls": [{"name": n, "value": "1"} | some n in names]}}}}}

test_unsafe_denied if {
	p.deny == {"sysctl \"kernel.msgmax\" is not one of the safe sysctls Pod Security baseline allows"} with input as pod(["net.ipv4.tcp_syncookies", "kernel.msgmax"])
}

test_safe_allowed if count(p.deny) == 0 with input as pod(["net.ipv4.ip_local_port_range", "kernel.shm_rmid_forced"])
