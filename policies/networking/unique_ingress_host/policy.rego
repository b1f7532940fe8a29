# Two Ingresses routing the same host fight over it: which backend answers depends on the
# controller. driftgate gives each Ingress the hosts other Ingresses claim already, in Git's
# desired state and in the live cluster (input.driftgate.ingressHosts: host → ["namespace/name"]).
package driftgate.networking.unique_ingress_host

import rego.v1

deny contains msg if {
	input.request.object.kind == "Ingress"
	some host, claimers in input.driftgate.ingressHosts
	count(claimers) > 0
	msg := sprintf("Ingress \"%s\" routes host %s, which %s already routes: each host belongs to one Ingress", [input.request.object.metadata.name, host, concat(", ", claimers)])
}
