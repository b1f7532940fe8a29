{{- define "driftgate.name" -}}driftgate{{- end -}}

{{- define "driftgate.fullname" -}}
{{- if contains "driftgate" .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-driftgate" .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "driftgate.labels" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "driftgate.selector" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "driftgate.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "driftgate.webhookService" -}}{{ include "driftgate.fullname" . }}-webhook{{- end -}}
{{- define "driftgate.reconcilerService" -}}{{ include "driftgate.fullname" . }}-reconciler{{- end -}}
{{- define "driftgate.reconcilerSA" -}}{{ include "driftgate.fullname" . }}-reconciler{{- end -}}

{{- define "driftgate.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "driftgate.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities: { drop: [ALL] }
{{- end -}}

{{/* The names of this release's ClusterRoles and ClusterRoleBindings, quoted, comma-separated. */}}
{{- define "driftgate.clusterScopedNames" -}}
{{- $f := include "driftgate.fullname" . -}}
{{- $names := list (printf "%s-reconciler" $f) (printf "%s-reconciler-api" $f) (printf "%s-gitsource-editor" $f) (printf "%s-gitsource-viewer" $f) (printf "%s-webhook" $f) -}}
{{- range $i, $n := $names }}{{ if $i }}, {{ end }}'{{ $n }}'{{ end -}}
{{- end -}}

{{/* The external data client certificate (policies.externalData.clientCertSecret), if any. */}}
{{- define "driftgate.providerClientEnv" -}}
{{- if .Values.policies.externalData.clientCertSecret -}}
- { name: DRIFTGATE_PROVIDER_CLIENT_CERT, value: /var/run/driftgate/provider-client/tls.crt }
- { name: DRIFTGATE_PROVIDER_CLIENT_KEY, value: /var/run/driftgate/provider-client/tls.key }
{{- end -}}
{{- end -}}
{{- define "driftgate.providerClientMount" -}}
{{- if .Values.policies.externalData.clientCertSecret -}}
- { name: provider-client, mountPath: /var/run/driftgate/provider-client, readOnly: true }
{{- end -}}
{{- end -}}
{{- define "driftgate.providerClientVolume" -}}
{{- with .Values.policies.externalData.clientCertSecret -}}
- name: provider-client
  secret: { secretName: {{ . }} }
{{- end -}}
{{- end -}}
