{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "rigger.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name unless the release name holds it already. */}}
{{- define "rigger.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "rigger.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "rigger.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "rigger.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rigger.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "rigger.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rigger.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret with the webhook secret and GitHub credentials: existing, or the chart's. */}}
{{- define "rigger.secretName" -}}
{{- default (printf "%s-github" (include "rigger.fullname" .)) .Values.github.existingSecret }}
{{- end }}

{{- define "rigger.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Whether the pod mounts the App's private key: an App is configured. */}}
{{- define "rigger.usesApp" -}}
{{- if and .Values.github.appID (ne (toString .Values.github.appID) "0") }}true{{ end }}
{{- end }}

{{/* Paths inside the container. */}}
{{- define "rigger.configPath" -}}/etc/rigger/rigger.yaml{{- end }}
{{- define "rigger.keyDir" -}}/etc/rigger/github{{- end }}
{{- define "rigger.dataDir" -}}/var/lib/rigger{{- end }}

{{- /*
What Rigger does in the repositories' namespaces (pkg/executor/tekton): create a PipelineRun,
patch it (cancel, check-run annotation), create the per-event git-auth Secret and patch its
ownerReferences, read a run's Secrets to mask their values in the log tail it reports, and
read the failing step's pod and log.
*/}}
{{- define "rigger.runRules" }}
- apiGroups: [tekton.dev]
  resources: [pipelineruns]
  verbs: [create, patch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [create, get, patch]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
{{- end }}
