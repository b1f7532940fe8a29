# Pod Security baseline: only the safe, namespaced sysctls (the rest reach the node's kernel).
package driftgate.pod_security.sysctls

import data.lib.pods
import rego.v1

safe := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
}

deny contains msg if {
	some sysctl in pods.pod_spec.securityContext.sysctls
	not sysctl.name in safe
	msg := sprintf("sysctl \"%s\" is not one of the safe sysctls Pod Security baseline allows", [sysctl.name])
}
