{{/* Names, labels and the image: what every template shares. */}}

{{- define "palisade.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's base name: the webhook Deployment and the Service the API server calls. */}}
{{- define "palisade.fullname" -}}
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

{{- define "palisade.controllerName" -}}
{{- printf "%s-controller" (include "palisade.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "palisade.webhookServiceAccount" -}}
{{- printf "%s-webhook" (include "palisade.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "palisade.controllerServiceAccount" -}}
{{- include "palisade.controllerName" . }}
{{- end }}

{{/* Name of both webhook configurations (palisade serve --webhook-name). */}}
{{- define "palisade.webhookConfigurationName" -}}
{{- default (include "palisade.fullname" .) .Values.webhook.configurationName }}
{{- end }}

{{/* The Secret holding tls.crt, tls.key and ca.crt, whoever writes it (Palisade or cert-manager). */}}
{{- define "palisade.tlsSecretName" -}}
{{- printf "%s-tls" (include "palisade.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "palisade.configMapName" -}}
{{- printf "%s-config" (include "palisade.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The controller's Lease (--lease-name): one per release, so two releases can share a namespace. */}}
{{- define "palisade.leaseName" -}}
{{- printf "%s-audit" (include "palisade.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "palisade.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. The component label ("webhook", "controller") is added where it applies. */}}
{{- define "palisade.labels" -}}
helm.sh/chart: {{ include "palisade.chart" . }}
{{ include "palisade.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: palisade
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "palisade.selectorLabels" -}}
app.kubernetes.io/name: {{ include "palisade.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* metadata.annotations for objects with no annotations of their own. */}}
{{- define "palisade.annotations" -}}
{{- with .Values.commonAnnotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "palisade.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}
