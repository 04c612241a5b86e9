{{/* The release's base name: the release name, or release-chart. */}}
{{- define "hangar.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hangar.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: dict "root" . "component" NAME. */}}
{{- define "hangar.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hangar.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hangar.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hangar.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "hangar.buildNamespace" -}}
{{- default (printf "%s-builds" .Release.Namespace) .Values.runners.kube.buildNamespace -}}
{{- end -}}

{{/* The components that run Hangar itself: "core" (hangar all) or each service. */}}
{{- define "hangar.components" -}}
{{- if eq .Values.layout "split" -}}
{{- join " " .Values.services -}}
{{- else -}}
core
{{- end -}}
{{- end -}}

{{/* The in-cluster URL of a service: dict "root" . "service" NAME. */}}
{{- define "hangar.serviceURL" -}}
{{- $root := .root -}}
{{- if eq $root.Values.layout "split" -}}
{{- printf "http://%s-%s:%v/%s" (include "hangar.fullname" $root) .service $root.Values.service.port .service -}}
{{- else -}}
{{- printf "http://%s:%v/%s" (include "hangar.fullname" $root) $root.Values.service.port .service -}}
{{- end -}}
{{- end -}}

{{- define "hangar.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}

{{/* The environment of every Hangar container. */}}
{{- define "hangar.env" -}}
- {name: DRONE_BIND, value: ":{{ .Values.service.port }}"}
- {name: HANGAR_DATA_DIR, value: /data}
{{ include "hangar.secretEnv" (dict "name" "DRONE_SECRET" "secret" .Values.secrets.existingSecret "key" .Values.secrets.sharedSecretKey) }}
{{- range .Values.secrets.optionalKeys }}
{{ include "hangar.secretEnv" (dict "name" . "secret" $.Values.secrets.existingSecret "key" . "optional" true) }}
{{- end }}
{{- if eq .Values.mode "server" }}
{{ include "hangar.secretEnv" (dict "name" "DRONE_RPC_SECRET" "secret" .Values.secrets.existingSecret "key" .Values.secrets.rpcSecretKey) }}
{{ include "hangar.secretEnv" (dict "name" "DRONE_DATABASE_SECRET" "secret" .Values.secrets.existingSecret "key" .Values.secrets.databaseSecretKey) }}
{{ include "hangar.secretEnv" (dict "name" "DRONE_COOKIE_SECRET" "secret" .Values.secrets.existingSecret "key" .Values.secrets.cookieSecretKey) }}
- {name: DRONE_SERVER_HOST, value: {{ .Values.server.host | quote }}}
- {name: DRONE_SERVER_PROTO, value: {{ .Values.server.proto | quote }}}
{{- end }}
- {name: DRONE_DATABASE_DRIVER, value: {{ .Values.database.driver | quote }}}
- {name: HANGAR_WEBHOOK_DATABASE_DRIVER, value: {{ .Values.database.driver | quote }}}
{{- if .Values.database.existingSecret }}
{{ include "hangar.secretEnv" (dict "name" "DRONE_DATABASE_DATASOURCE" "secret" .Values.database.existingSecret "key" .Values.database.datasourceKey) }}
{{ include "hangar.secretEnv" (dict "name" "HANGAR_WEBHOOK_DATABASE_DATASOURCE" "secret" .Values.database.existingSecret "key" .Values.database.datasourceKey) }}
{{- end }}
{{- if .Values.configRepo.gitSync.enabled }}
- {name: HANGAR_REPO_DIR, value: /repo/current}
{{- end }}
{{- if .Values.vault.enabled }}
- {name: VAULT_ADDR, value: {{ .Values.vault.address | quote }}}
- {name: VAULT_AUTH_TYPE, value: {{ .Values.vault.auth | quote }}}
{{- if eq .Values.vault.auth "kubernetes" }}
- {name: VAULT_KUBERNETES_ROLE, value: {{ .Values.vault.role | quote }}}
- {name: VAULT_AUTH_MOUNT_POINT, value: {{ .Values.vault.mountPoint | quote }}}
{{- else if eq .Values.vault.auth "token" }}
{{ include "hangar.secretEnv" (dict "name" "VAULT_TOKEN" "secret" .Values.vault.existingSecret "key" "VAULT_TOKEN") }}
{{- else }}
{{ include "hangar.secretEnv" (dict "name" "VAULT_APPROLE_ID" "secret" .Values.vault.existingSecret "key" "VAULT_APPROLE_ID") }}
{{ include "hangar.secretEnv" (dict "name" "VAULT_APPROLE_SECRET" "secret" .Values.vault.existingSecret "key" "VAULT_APPROLE_SECRET") }}
{{- end }}
{{- if .Values.vault.caSecret }}
- {name: VAULT_CACERT, value: /vault-ca/ca.crt}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
