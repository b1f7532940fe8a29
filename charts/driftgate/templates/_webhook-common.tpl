{{- define "driftgate.webhookCommon" -}}
{{- $ := .ctx -}}
admissionReviewVersions: [v1]
sideEffects: None
failurePolicy: {{ $.Values.webhook.failurePolicy }}
timeoutSeconds: {{ $.Values.webhook.timeoutSeconds }}
clientConfig:
  service:
    name: {{ .svc }}
    namespace: {{ $.Release.Namespace }}
    path: {{ .path }}
    port: 443
  {{- if .caBundle }}
  caBundle: {{ .caBundle }}
  {{- end }}
# kube-system and driftgate's own namespace are never sent to the webhook: a broken webhook can
# always be repaired, and the cluster's own components keep working.
namespaceSelector:
  matchExpressions:
    - key: kubernetes.io/metadata.name
      operator: NotIn
      values:
        {{- toYaml (concat (list "kube-system" $.Release.Namespace) $.Values.webhook.exemptions.namespaces | uniq) | nindent 8 }}
# High-volume writes no policy is about: leader-election leases, events, and the authn/authz
# review APIs.
matchConditions:
  - name: not-leases
    expression: "!(request.resource.group == 'coordination.k8s.io' && request.resource.resource == 'leases')"
  - name: not-events
    expression: "request.resource.resource != 'events'"
  - name: not-reviews
    expression: "!(request.resource.group in ['authentication.k8s.io', 'authorization.k8s.io'])"
  # helm uninstall deletes the webhook's Service before this release's cluster-scoped RBAC: with
  # failurePolicy Fail those deletions would be refused and leak. Exactly these names, on DELETE
  # only (a label could be forged; a name in this list is the release's own).
  - name: not-uninstalling-driftgate
    expression: >-
      !(request.operation == 'DELETE' && request.resource.group == 'rbac.authorization.k8s.io'
      && request.resource.resource in ['clusterroles', 'clusterrolebindings']
      && request.name in [{{ include "driftgate.clusterScopedNames" $ }}])
{{- end -}}
