{{- define "tongban.fullname" -}}{{ .Release.Name }}-tongban{{- end -}}
{{- define "tongban.labels" -}}
app.kubernetes.io/name: tongban
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
{{- define "tongban.secretName" -}}{{ default (printf "%s-secret" (include "tongban.fullname" .)) .Values.existingSecret }}{{- end -}}
{{/* Environment shared by every process. The test clock (TONGBAN_TEST_CLOCK) is never set here. */}}
{{- define "tongban.env" -}}
- name: NODE_ENV
  value: production
{{- if .Values.databaseUrlSecretRef.name }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.databaseUrlSecretRef.name }}
      key: {{ .Values.databaseUrlSecretRef.key | default "uri" }}
{{- else }}
- name: DATABASE_URL
  value: {{ .Values.databaseUrl | quote }}
{{- end }}
- name: NATS_URL
  value: {{ .Values.natsUrl | quote }}
- name: TONGBAN_GRPC_HOST
  value: "0.0.0.0"
- name: TONGBAN_HEALTH_PORT
  value: {{ .Values.healthPort | quote }}
- name: TONGBAN_NATS_REPLICAS
  value: {{ .Values.natsReplicas | quote }}
{{- if .Values.consumerLagWarnSeconds }}
- name: TONGBAN_CONSUMER_LAG_WARN_SECONDS
  value: {{ .Values.consumerLagWarnSeconds | quote }}
{{- end }}
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
{{- with .Values.tracing }}
{{- if .otlpEndpoint }}
{{- if not (has .protocol (list "http/protobuf" "http/json")) }}{{ fail (printf "tracing.protocol must be http/protobuf or http/json, not %q" (toString .protocol)) }}{{ end }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .otlpEndpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .sampleRatio | quote }}
{{- end }}
{{- end }}
- name: TONGBAN_AUTO_CLOSE_DAYS
  value: {{ .Values.autoCloseDays | quote }}
{{- if not (has .Values.callbackBy (list "first-responder" "hotline")) }}{{ fail (printf "callbackBy must be first-responder or hotline, not %q" (toString .Values.callbackBy)) }}{{ end }}
- name: TONGBAN_CALLBACK_BY
  value: {{ .Values.callbackBy | quote }}
{{- if .Values.maxExtensionHours }}
- name: TONGBAN_MAX_EXTENSION_HOURS
  value: {{ .Values.maxExtensionHours | quote }}
{{- end }}
{{- $root := . }}
{{- range $name, $svc := .Values.services }}
- name: {{ upper $name }}_ADDR
  value: "{{ include "tongban.fullname" $root }}-{{ $name }}:{{ $svc.port }}"
{{- end }}
{{- end -}}

{{/*
The identity service's secrets: the token signing secret (only identity signs; every other process
verifies with identity's public keys), the previous one during a rotation, the bootstrap password, and
single sign-on (values.oidc: issuer, client id and redirect URL as values, the client secret from a Secret).
*/}}
{{- define "tongban.identityEnv" -}}
- name: TONGBAN_JWT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "tongban.secretName" . }}
      key: jwt-secret
- name: TONGBAN_JWT_PREVIOUS_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "tongban.secretName" . }}
      key: jwt-previous-secret
      optional: true
- name: TONGBAN_BOOTSTRAP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tongban.secretName" . }}
      key: bootstrap-password
      optional: true
{{- with .Values.oidc }}
{{- if .issuer }}
{{- if not .clientId }}{{ fail "oidc.issuer is set but oidc.clientId is not" }}{{ end }}
{{- if not .redirectUrl }}{{ fail "oidc.issuer is set but oidc.redirectUrl is not (https://<host>/api/v1/auth/oidc/callback)" }}{{ end }}
- name: TONGBAN_OIDC_ISSUER
  value: {{ .issuer | quote }}
- name: TONGBAN_OIDC_CLIENT_ID
  value: {{ .clientId | quote }}
- name: TONGBAN_OIDC_REDIRECT_URL
  value: {{ .redirectUrl | quote }}
{{- if .clientSecretRef.name }}
- name: TONGBAN_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .clientSecretRef.name }}
      key: {{ .clientSecretRef.key | default "client-secret" }}
{{- else if or .clientSecret $.Values.existingSecret }}
- name: TONGBAN_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "tongban.secretName" $ }}
      key: oidc-client-secret
{{- else if not .publicClient }}
{{- fail "oidc.issuer is set but no client secret: give oidc.clientSecret or oidc.clientSecretRef (or oidc.publicClient: true)" }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Where the SLA configuration (values.slaConfig) is mounted in the intake container. */}}
{{- define "tongban.slaConfigPath" -}}/etc/tongban/sla/sla-config.json{{- end -}}

{{/* Selector labels of one component: (list $root "name"). */}}
{{- define "tongban.selector" -}}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Pod-level settings shared by every Deployment: security context, grace period, the /tmp volume. */}}
{{- define "tongban.podSpec" -}}
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Container-level settings shared by every process: image, security context, resources, /tmp. */}}
{{- define "tongban.container" -}}
image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext: {{- toYaml .Values.securityContext | nindent 2 }}
resources: {{- toYaml .Values.resources | nindent 2 }}
{{- end -}}

{{/* A PodDisruptionBudget for a component with more than one replica: (list $root "name" replicas). */}}
{{- define "tongban.pdb" -}}
{{- $root := index . 0 }}
{{- if and $root.Values.podDisruptionBudget.enabled (gt (int (index . 2)) 1) }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "tongban.fullname" $root }}-{{ index . 1 }}
  labels: {{- include "tongban.labels" $root | nindent 4 }}
spec:
  maxUnavailable: {{ $root.Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels: {{- include "tongban.selector" (list $root (index . 1)) | nindent 6 }}
{{- end }}
{{- end -}}

{{/* An optional HorizontalPodAutoscaler for a stateless component: (list $root "name"). */}}
{{- define "tongban.hpa" -}}
{{- $root := index . 0 }}
{{- if $root.Values.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "tongban.fullname" $root }}-{{ index . 1 }}
  labels: {{- include "tongban.labels" $root | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "tongban.fullname" $root }}-{{ index . 1 }}
  minReplicas: {{ $root.Values.autoscaling.minReplicas }}
  maxReplicas: {{ $root.Values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: { type: Utilization, averageUtilization: {{ $root.Values.autoscaling.targetCPUUtilizationPercentage }} }
{{- end }}
{{- end -}}
