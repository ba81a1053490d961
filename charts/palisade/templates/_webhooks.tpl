{{/*
Shared parts of the webhook configurations. They are what `palisade webhook-config` renders for
the built-in rules in the chosen `mode` (test/chart/chart.test.ts compares the two): Palisade
applies its own rendering over them when it starts and on every reload, so any difference would
flip back and forth between Helm and Palisade.
*/}}

{{/* The rules of each registration, generated from `palisade webhook-config` (files/webhook-rules.yaml). */}}
{{- define "palisade.webhookRules" -}}
{{- toYaml (.Files.Get "files/webhook-rules.yaml" | fromYaml) }}
{{- end }}

{{- define "palisade.webhookConfigurationMetadata" -}}
name: {{ include "palisade.webhookConfigurationName" . }}
labels:
  {{- include "palisade.labels" . | nindent 2 }}
annotations:
  # Palisade keeps these fields current itself (docs/webhook-configuration.md): tell a GitOps tool
  # to ignore them (docs/rollout.md).
  palisade.dev/owned-fields: webhooks[*].clientConfig.caBundle,webhooks[*].rules
  {{- if eq .Values.certificates.mode "cert-manager" }}
  # cert-manager's CA injector copies the serving certificate's CA into every caBundle.
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "palisade.tlsSecretName" . }}
  {{- end }}
  {{- with .Values.commonAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}

{{/* One webhook: dict "root" $ "name" "path" "rules" "failurePolicy" "excluded" (bool). */}}
{{- define "palisade.webhook" -}}
- name: {{ .name }}
  clientConfig:
    service:
      name: {{ include "palisade.fullname" .root }}
      namespace: {{ .root.Release.Namespace }}
      port: 443
      path: {{ .path }}
  rules:
    {{- toYaml .rules | nindent 4 }}
  {{- if .excluded }}
  # kubernetes.io/metadata.name is set by the API server and cannot be changed: nobody can opt a
  # namespace out by relabelling it, and Palisade's own namespace can always be repaired.
  namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: NotIn
        values:
          {{- include "palisade.excludedNamespaces" .root | nindent 10 }}
  {{- end }}
  failurePolicy: {{ .failurePolicy }}
  # An apps/v1 rule also sees requests made through other versions of the API, converted.
  matchPolicy: Equivalent
  # Palisade changes nothing but its answer, so server-side dry runs are sent and answered too.
  sideEffects: None
  # The API server holds each intercepted request this long when Palisade does not answer (max 5).
  timeoutSeconds: 5
  admissionReviewVersions: [v1]
{{- end }}
