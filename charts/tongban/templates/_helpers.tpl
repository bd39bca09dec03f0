{{- define "tongban.fullname" -}}{{ .Release.Name }}-tongban{{- end -}}
{{- define "tongban.labels" -}}
app.kubernetes.io/name: tongban
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "tongban.secretName" -}}{{ default (printf "%s-secret" (include "tongban.fullname" .)) .Values.existingSecret }}{{- end -}}
{{/* Environment shared by every process. The test clock (TONGBAN_TEST_CLOCK) is never set here. */}}
{{- define "tongban.env" -}}
- name: DATABASE_URL
  value: {{ .Values.databaseUrl | quote }}
- name: NATS_URL
  value: {{ .Values.natsUrl | quote }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: TONGBAN_AUTO_CLOSE_DAYS
  value: {{ .Values.autoCloseDays | quote }}
{{- if .Values.maxExtensionHours }}
- name: TONGBAN_MAX_EXTENSION_HOURS
  value: {{ .Values.maxExtensionHours | quote }}
{{- end }}
- name: TONGBAN_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "tongban.secretName" . }}
      key: jwt-secret
{{- $root := . }}
{{- range $name, $svc := .Values.services }}
- name: {{ upper $name }}_ADDR
  value: "{{ include "tongban.fullname" $root }}-{{ $name }}:{{ $svc.port }}"
{{- end }}
{{- end -}}

{{/* Where the SLA configuration (values.slaConfig) is mounted in the intake container. */}}
{{- define "tongban.slaConfigPath" -}}/etc/tongban/sla/sla-config.json{{- end -}}
