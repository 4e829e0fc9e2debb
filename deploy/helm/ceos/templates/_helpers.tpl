{{/* The release's resource name: the release name, or release-chart when they differ. */}}
{{- define "ceos.fullname" -}}
{{- if eq .Release.Name .Chart.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select CEOS's pods; they never change across upgrades. */}}
{{- define "ceos.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "ceos.labels" -}}
{{ include "ceos.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The image reference. */}}
{{- define "ceos.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The pods' security context: the image's unprivileged user, by number. */}}
{{- define "ceos.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The containers' security context. */}}
{{- define "ceos.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end -}}

{{/*
The environment of CEOS's containers (the pods and the migration Job): every key of the
existing Secret, then the chart's settings and the non-secret config.
*/}}
{{- define "ceos.envFrom" -}}
- secretRef:
    name: {{ required "existingSecret: name the Secret that holds DATABASE_URL, APP_ID, PRIVATE_KEY and WEBHOOK_SECRET" .Values.existingSecret }}
{{- end -}}

{{- define "ceos.env" -}}
- name: PORT
  value: {{ .Values.containerPort | quote }}
- name: CEOS_SHUTDOWN_TIMEOUT_SECONDS
  value: {{ .Values.shutdownTimeoutSeconds | quote }}
- name: CEOS_MIGRATE_ON_START
  value: "false"
{{- range $name, $value := .Values.config }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
