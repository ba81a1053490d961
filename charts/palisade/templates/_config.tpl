{{/*
palisade.yaml as the values make it: what `mode` pins, then `config` over it. NOTES.txt and the
webhook configurations read the same result, so what they say is what Palisade loads.
*/}}

{{/*
Every rule the chart knows, as YAML: id → {mode, since, everyKind}. The built-in ones come from
files/builtin-rules.yaml (generated from rules/ by test/chart/chart-files.test.ts); your own from
the `rules` value, where a rule without a mode takes the configured defaultMode.
*/}}
{{- define "palisade.knownRules" -}}
{{- $rules := deepCopy ((.Files.Get "files/builtin-rules.yaml" | fromYaml).rules | default dict) }}
{{- range $file, $text := .Values.rules }}
{{- range $document := regexSplit "(?m)^---[ \t]*$" $text -1 }}
{{- $rule := fromYaml $document }}
{{- if and (eq (toString (get $rule "kind")) "Rule") (get $rule "metadata") }}
{{- $everyKind := false }}
{{- range $selector := (dig "spec" "match" "resources" list $rule) }}
{{- if and (kindIs "map" $selector) (has "*" (get $selector "kinds" | default list)) }}
{{- $everyKind = true }}
{{- end }}
{{- end }}
{{- $_ := set $rules (toString $rule.metadata.name) (dict "mode" (dig "spec" "mode" "" $rule) "since" "" "everyKind" $everyKind) }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $rules }}
{{- end }}

{{/*
What `mode` adds to the configuration: nothing for `shipped`; otherwise defaultMode, and a pin for
every rule that does not ship in dry-run (those need your settings first). `enforce` leaves rules
over every kind (no-secrets-in-annotations) in their own mode: enforced, they would put every write
in the cluster (EndpointSlices, Nodes, CRDs, certificate requests) behind failurePolicy Fail. With
`config.release`, rules first shipped after it are not pinned, so an upgrade keeps a new rule in
dry-run (Palisade's own rule for `release`) even in `mode: enforce`.
*/}}
{{- define "palisade.modeConfig" -}}
{{- $mode := .Values.mode }}
{{- if ne $mode "shipped" }}
{{- $release := toString (dig "release" "" .Values.config) }}
{{- $defaultMode := "audit" }}
{{- $pins := dict }}
{{- range $id, $rule := (include "palisade.knownRules" . | fromYaml) }}
{{- $shipped := default $defaultMode $rule.mode }}
{{- $reviewed := or (not $release) (not $rule.since) (semverCompare (printf "<=%s" $release) $rule.since) }}
{{- $allKinds := and (eq $mode "enforce") $rule.everyKind }}
{{- if and (ne $shipped "dry-run") $reviewed (not $allKinds) }}
{{- $_ := set $pins $id (dict "mode" $mode) }}
{{- end }}
{{- end }}
{{- toYaml (dict "defaultMode" $mode "rules" $pins) }}
{{- end }}
{{- end }}

{{/* The merged configuration as a YAML mapping (possibly empty). */}}
{{- define "palisade.configValues" -}}
{{- $config := include "palisade.modeConfig" . | fromYaml | default dict }}
{{- toYaml (mustMergeOverwrite $config (deepCopy .Values.config)) }}
{{- end }}

{{/* The file palisade.yaml itself. */}}
{{- define "palisade.configFile" -}}
{{- $config := omit (include "palisade.configValues" . | fromYaml) "apiVersion" "kind" -}}
apiVersion: palisade.dev/v1alpha1
kind: Configuration
{{- if $config }}
{{ toYaml $config }}
{{- end }}
{{- end }}

{{/*
The mode each rule runs in outside namespace labels, as YAML id → mode: a pin in the configuration,
else the rule's own mode, else defaultMode (docs/configuration.md, "Which mode applies").
*/}}
{{- define "palisade.effectiveModes" -}}
{{- $config := include "palisade.configValues" . | fromYaml }}
{{- $defaultMode := default "audit" $config.defaultMode }}
{{- $modes := dict }}
{{- range $id, $rule := (include "palisade.knownRules" . | fromYaml) }}
{{- $pinned := dig "rules" $id "mode" "" $config }}
{{- $disabled := dig "rules" $id "disabled" false $config }}
{{- if not $disabled }}
{{- $_ := set $modes $id (coalesce $pinned $rule.mode $defaultMode) }}
{{- end }}
{{- end }}
{{- toYaml $modes }}
{{- end }}

{{/*
Namespaces no webhook is sent, as Palisade renders them: the plain names of namespaces.excluded
(globs cannot be a selector) and the release namespace, in code-point order.
*/}}
{{- define "palisade.excludedNamespaces" -}}
{{- $config := include "palisade.configValues" . | fromYaml }}
{{- $excluded := list "kube-system" "kube-public" "kube-node-lease" }}
{{- if hasKey (get $config "namespaces" | default dict) "excluded" }}
{{- $excluded = $config.namespaces.excluded }}
{{- end }}
{{- $names := list .Release.Namespace }}
{{- range $excluded }}
{{- if not (contains "*" .) }}
{{- $names = append $names . }}
{{- end }}
{{- end }}
{{- toYaml (sortAlpha (uniq $names)) }}
{{- end }}

{{/* Mutation is on when the configuration names rules that may mutate. */}}
{{- define "palisade.mutationEnabled" -}}
{{- $config := include "palisade.configValues" . | fromYaml }}
{{- if dig "admission" "mutation" "rules" list $config }}true{{ end }}
{{- end }}

{{/*
Fails the render when config.images names a file that imageFiles does not mount: every file it
names must be /etc/palisade/images/<name>/<key> of a mounted Secret or ConfigMap (the config
folder holds palisade.yaml only), or Palisade would refuse the configuration at start-up.
*/}}
{{- define "palisade.checkImageFiles" -}}
{{- $images := dig "images" dict (include "palisade.configValues" . | fromYaml) }}
{{- $files := list }}
{{- range (get $images "verify" | default list) }}
{{- $files = concat $files (get . "keys" | default list) }}
{{- with dig "keyless" "trustedRoot" "" . }}{{ $files = append $files . }}{{ end }}
{{- end }}
{{- range (get $images "registries" | default list) }}{{ with get . "ca" }}{{ $files = append $files . }}{{ end }}{{ end }}
{{- $files = concat $files (get $images "denyFiles" | default list) }}
{{- with get $images "dockerConfig" }}{{ $files = append $files . }}{{ end }}
{{- $mounted := list }}
{{- range .Values.imageFiles }}{{ $mounted = append $mounted .name }}{{ end }}
{{- range $files }}
{{- $parts := splitList "/" (toString .) }}
{{- if not (and (hasPrefix "/etc/palisade/images/" (toString .)) (ge (len $parts) 6) (has (index $parts 4) $mounted)) }}
{{- fail (printf "config.images names %q, which is not in a mounted file: mount its Secret or ConfigMap with imageFiles (name: x) and name it /etc/palisade/images/x/<key>" (toString .)) }}
{{- end }}
{{- end }}
{{- end }}
