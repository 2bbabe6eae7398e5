{{/* Names and labels shared by every template of the chart. */}}

{{- define "pagerduty-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object name: fullnameOverride, else the release name when it already
contains the chart name, else `<release>-<chart>`. 63 characters at most (DNS label).
*/}}
{{- define "pagerduty-operator.fullname" -}}
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

{{- define "pagerduty-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels that select the operator's pod: never change them after a release. */}}
{{- define "pagerduty-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pagerduty-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pagerduty-operator.labels" -}}
helm.sh/chart: {{ include "pagerduty-operator.chart" . }}
{{ include "pagerduty-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | replace "+" "_" | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pagerduty-operator
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "pagerduty-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pagerduty-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The leader-election Lease: leaderElection.leaseName, else the full name. */}}
{{- define "pagerduty-operator.leaseName" -}}
{{- default (include "pagerduty-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "pagerduty-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
The operator's own rules: the same whether granted cluster-wide (ClusterRole) or per watched
namespace (Role). docs/install.md ("RBAC") says why each is needed.
*/}}
{{- define "pagerduty-operator.operatorRules" -}}
- apiGroups: ["pagerduty.ops.dev"]
  resources: ["pagerdutyintegrations", "pagerdutywebhooks", "pagerdutyincidentrules"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["pagerduty.ops.dev"]
  resources: ["pagerdutyintegrations/status", "pagerdutywebhooks/status", "pagerdutyincidentrules/status"]
  verbs: ["patch"]
- apiGroups: ["pagerduty.ops.dev"]
  resources: ["pagerdutyintegrations/finalizers", "pagerdutywebhooks/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
