{{/* Pod and container settings both components share. */}}

{{/*
Non-root with the image's numeric user (distroless "nonroot"), so the kubelet can check runAsNonRoot
without reading the image; the runtime's default seccomp profile.
*/}}
{{- define "palisade.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "palisade.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}

{{/*
The API credentials, mounted explicitly (the service accounts set automountServiceAccountToken:
false): a token bound to the pod that expires, the cluster CA and the namespace, at the path the
Kubernetes client reads in a pod. The client re-reads the token every minute, so the kubelet's
rotation (at 80% of its lifetime) is picked up.
*/}}
{{- define "palisade.apiAccessVolume" -}}
- name: kube-api-access
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: {{ .Values.serviceAccounts.tokenExpirationSeconds }}
      - configMap:
          name: kube-root-ca.crt
          items:
            - {key: ca.crt, path: ca.crt}
      - downwardAPI:
          items:
            - path: namespace
              fieldRef: {fieldPath: metadata.namespace}
{{- end }}

{{- define "palisade.apiAccessMount" -}}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end }}

{{/* The configuration and the user rules, from the one ConfigMap. */}}
{{- define "palisade.configVolumes" -}}
- name: config
  configMap:
    name: {{ include "palisade.configMapName" . }}
    items:
      - {key: palisade.yaml, path: palisade.yaml}
{{- if .Values.rules }}
- name: rules
  configMap:
    name: {{ include "palisade.configMapName" . }}
    items:
      {{- range $file, $_ := .Values.rules }}
      - {key: {{ $file | quote }}, path: {{ $file | quote }}}
      {{- end }}
{{- end }}
{{- range .Values.imageFiles }}
- name: image-files-{{ .name }}
  {{- if .secret }}
  secret:
    secretName: {{ .secret }}
  {{- else }}
  configMap:
    name: {{ .configMap }}
  {{- end }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 16Mi
{{- end }}

{{- define "palisade.configMounts" -}}
- name: config
  mountPath: /etc/palisade/config
  readOnly: true
{{- if .Values.rules }}
- name: rules
  mountPath: /etc/palisade/rules
  readOnly: true
{{- end }}
{{- range .Values.imageFiles }}
- name: image-files-{{ .name }}
  mountPath: /etc/palisade/images/{{ .name }}
  readOnly: true
{{- end }}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Arguments both commands take: the configuration and the user rules. */}}
{{- define "palisade.policyArgs" -}}
- --config
- /etc/palisade/config/palisade.yaml
{{- if .Values.rules }}
- --rules
- /etc/palisade/rules
{{- end }}
{{- end }}

{{/* Rolls the pods when the configuration or rules change, so a bad change stops the rollout. */}}
{{- define "palisade.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- end }}

{{- define "palisade.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
