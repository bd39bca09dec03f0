import { CALLBACK_ASSIGNEES, POLICY_SETS } from '@tongban/domain';
import { z } from 'zod';
import { ConfigError, DEFAULT_GRPC_PORTS, SERVICE_NAMES } from './config';

/**
 * Issue 12 item 1: every environment variable a process reads, declared once with its check, default,
 * who reads it and what it means. Each process validates its own schema ({@link settingsSchema}) once at
 * start ({@link loadSettings}): a wrong value stops it with one line naming the variable, the value and
 * what is allowed. `npm run config -- <process>` prints the effective values (secrets masked), and the
 * README's settings table is generated from these declarations (`npm run settings:doc`; a test fails when
 * it drifts).
 */

/** Every process of the platform: the gateway, the relay and the services. */
export const PROCESS_NAMES = ['gateway', 'relay', ...SERVICE_NAMES] as const;

/** A process of the platform. */
export type ProcessName = (typeof PROCESS_NAMES)[number];

/** How a value is shown by `npm run config`: as is, only whether it is set, or a URL without its password. */
export type Masking = 'none' | 'secret' | 'url-password';

/** One declared setting. */
export interface SettingSpec {
  name: string;
  /** Processes that read it (every process: `loadConfig` reads it at start). */
  processes: readonly ProcessName[];
  /** The default as shown in the table and by `npm run config` (a value, or `unset: …`). */
  default: string;
  /** What is allowed, as one phrase ("a positive number"); the error line and the table say it. */
  allowed: string;
  /** The check of a set, non-empty value. */
  schema: z.ZodType<string>;
  masking: Masking;
  /** What it does (Markdown, one paragraph: the README table's last column). */
  what: string;
}

const ALL: readonly ProcessName[] = PROCESS_NAMES;
const SERVICES_AND_RELAY: readonly ProcessName[] = ['relay', ...SERVICE_NAMES];

const check = (allowed: string, ok: (value: string) => boolean): { allowed: string; schema: z.ZodType<string> } =>
  ({ allowed, schema: z.string().refine(ok, { message: allowed }) });

const positive = () => check('a positive number', (v) => Number.isFinite(Number(v)) && Number(v) > 0 && v.trim() !== '');
const positiveInteger = () => check('a positive whole number', (v) => /^\d+$/.test(v.trim()) && Number(v) > 0);
const nonNegativeInteger = (zero: string) => check(`a whole number ≥ 0 (0: ${zero})`, (v) => /^\d+$/.test(v.trim()));
const nonNegative = () => check('a number ≥ 0', (v) => v.trim() !== '' && Number.isFinite(Number(v)) && Number(v) >= 0);
const port = () => check('a port number from 0 to 65535', (v) => /^\d+$/.test(v.trim()) && Number(v) <= 65535);
const oneOf = (values: readonly string[]) => check(`one of ${values.join(', ')}`, (v) => values.includes(v.trim()));
const anyText = () => check('any text', () => true);
const hostName = () => check('a host name or IP address, without port', (v) => /^[^\s:/]+$|^[0-9a-fA-F:]+$/.test(v.trim()));
const absoluteUrl = (schemes?: readonly string[]) => check(
  schemes ? `an absolute URL (${schemes.map((s) => `${s}://`).join(', ')})` : 'an absolute URL',
  (v) => URL.canParse(v.trim()) && (!schemes || schemes.includes(new URL(v.trim()).protocol.slice(0, -1))),
);
const urlList = (schemes: readonly string[]) => check(
  `a comma-separated list of URLs (${schemes.map((s) => `${s}://`).join(', ')}) or host:port`,
  (v) => v.split(',').every((u) => /^[^\s:/]+:\d{1,5}$/.test(u.trim()) || (URL.canParse(u.trim()) && schemes.includes(new URL(u.trim()).protocol.slice(0, -1)))),
);
const json = (shape: 'array' | 'object') => check(`a JSON ${shape}`, (v) => {
  try {
    const parsed: unknown = JSON.parse(v);
    return shape === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
});
const grpcAddress = () => check('host:port (port 1–65535; an IPv6 host in brackets)', (v) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(v.trim());
  return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
});
const natsName = (what: string, pattern: RegExp) => check(what, (v) => pattern.test(v));

function spec(name: string, processes: readonly ProcessName[], defaults: string, rule: { allowed: string; schema: z.ZodType<string> }, what: string, masking: Masking = 'none'): SettingSpec {
  return { name, processes, default: defaults, ...rule, masking, what };
}

const ADDRESS_SPECS = Object.entries<number>(DEFAULT_GRPC_PORTS).map(([service, grpcPort]) => spec(
  `${service.toUpperCase()}_ADDR`, ALL, `127.0.0.1:${grpcPort}`, grpcAddress(),
  `gRPC address of ${service}: where it listens (host replaced by \`TONGBAN_GRPC_HOST\` when set) and where the others call it. Helm sets the Service name.`,
));

/** Every setting, in the order of the README table. */
export const SETTINGS: readonly SettingSpec[] = [
  spec('DATABASE_URL', ALL, 'postgres://postgres@127.0.0.1:5432/tongban', absoluteUrl(['postgres', 'postgresql']),
    'PostgreSQL of the event store and every table (migrations run at start).', 'url-password'),
  spec('TONGBAN_EVENT_STORE', SERVICES_AND_RELAY, 'postgres', oneOf(['postgres', 'kurrentdb']),
    'the event store adapter: `postgres` (the `events` tables of `DATABASE_URL`; the tested default) or `kurrentdb` (the ticket streams on a KurrentDB / EventStoreDB 22.6+ server at `TONGBAN_KURRENTDB_URL`; every other table stays in PostgreSQL). The query service reads the PostgreSQL events table directly and refuses to start with `kurrentdb` (see [Decisions](#decisions)).'),
  spec('TONGBAN_KURRENTDB_URL', SERVICES_AND_RELAY, 'unset', absoluteUrl(['kurrentdb', 'kurrentdb+discover', 'esdb', 'esdb+discover']),
    'KurrentDB connection string, e.g. `kurrentdb://127.0.0.1:2113?tls=false`; required with `TONGBAN_EVENT_STORE=kurrentdb`.', 'url-password'),
  spec('NATS_URL', ALL, 'nats://127.0.0.1:4222', urlList(['nats', 'tls', 'ws', 'wss']), 'NATS server(s) with JetStream, comma-separated for a cluster.', 'url-password'),
  spec('LOG_LEVEL', ALL, 'info', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'pino log level of every process.'),
  spec('NODE_ENV', ALL, 'unset', anyText(), '`production` (Dockerfile, Helm): identity refuses to start without `TONGBAN_JWT_SECRET`.'),
  spec('HOST', ALL, '127.0.0.1', hostName(),
    'address the gateway listens on. Loopback by default (see [Secure by default](#secure-by-default-token-keys-and-where-the-gateway-listens)); a non-loopback address (`0.0.0.0`, a LAN address) is refused while identity signs with the generated installation key. Helm sets `0.0.0.0`.'),
  spec('PORT', ALL, '8080', port(), "the gateway's HTTP port (`0`: any free port)."),
  spec('TONGBAN_NAMESPACE', ALL, 'tongban', natsName('letters, digits, `-` and `_`', /^[A-Za-z0-9_-]+$/),
    'NATS names of one installation: subject prefix of notices and heartbeats, prefix of durable consumers and KV buckets. Give each installation sharing a NATS server its own.'),
  spec('TONGBAN_EVENTS_STREAM', ALL, 'TICKET_EVENTS', natsName('letters, digits, `-` and `_`', /^[A-Za-z0-9_-]+$/), 'JetStream stream of the ticket events.'),
  spec('TONGBAN_EVENTS_SUBJECT', ALL, 'tickets.events', natsName('NATS subject tokens (letters, digits, `-`, `_`) separated by dots', /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/),
    'subject prefix of the ticket events (`<prefix>.<EventType>`).'),
  ...ADDRESS_SPECS,
  spec('TONGBAN_GRPC_HOST', ALL, "unset: the host of the service's own `*_ADDR`", hostName(),
    "host a service's gRPC server (and health listener) binds; the port is always its `*_ADDR`'s. The Helm chart sets `0.0.0.0`, so a pod binds every interface while callers dial the Service name."),
  spec('TONGBAN_HEALTH_PORT', ALL, 'unset: no listener', port(),
    "port (0: any free one) of a service process's HTTP health listener, bound on `TONGBAN_GRPC_HOST` (else 127.0.0.1): `GET /healthz` (liveness), `GET /readyz` (200 `{status, checks}` when PostgreSQL, NATS and the process's own checks pass, else 503 problem+json naming the failed ones), `GET /metrics` (Prometheus). Helm: `healthPort` (9464). The gateway serves the same paths on its own port."),
  spec('TONGBAN_TEST_CLOCK', ALL, 'unset: off', oneOf(['1', '0']), 'tests only: `1` makes time settable through the gateway (`PUT /api/v1/test/clock`); the Helm chart never sets it.'),
  spec('TONGBAN_DATA_DIR', ALL, 'the shipped `packages/reference-data/data`', anyText(), 'folder of the reference data (divisions, catalogue, units).'),
  spec('TONGBAN_POLL_MS', ALL, '1000', positive(), 'fallback poll interval, ms: of the relay (at most 100 while events flow; at least 1000 after 3 s without any, while `LISTEN eventstore_appended` wakes it at each append and no committed event is held back by an open transaction), of the deadline timers (the longest sleep: the loop sleeps until the next due time and wakes when this replica writes an earlier one, so the poll only finds timers written by another process) and of the webhook outbox (at least 100; enqueuing wakes it).'),
  spec('TONGBAN_AUTO_CLOSE_DAYS', ALL, '7', positive(), 'days after a resolution before a ticket is closed automatically.'),
  spec('TONGBAN_MAX_EXTENSION_HOURS', ALL, '2160 (90 days)', positive(),
    "cap on the total extension of a ticket's announced deadlines; a further `deadline` beyond it is refused `extension_cap_exceeded`. Helm: `maxExtensionHours`."),
  spec('TONGBAN_CALLBACK_DUE_DAYS', ALL, '3', positive(), 'issue 14 item 4: working days after a resolution within which the callback is due.'),
  spec('TONGBAN_CALLBACK_MAX_ATTEMPTS', ALL, '3', positive(), 'unreached callback attempts before closing as not reached.'),
  spec('TONGBAN_RECTIFICATION_DAYS', ALL, '15', positive(), "working days of a rectification's resolution leg."),
  spec('TONGBAN_CALLBACK_BY', ALL, 'first-responder', oneOf(CALLBACK_ASSIGNEES),
    "issue 14 item 4: who a resolution's callback (回访) goes to: `first-responder` (admins of the first responder's unit) or `hotline` (staff with the `hotline` role whose jurisdiction contains the ticket). Snapshotted per resolution (`TicketResolved.callbackBy`): changing it leaves owed callbacks where they are."),
  spec('TONGBAN_SLA_CONFIG', ALL, 'the shipped `packages/domain/data/calendars/sla-config.json`', anyText(),
    'path of a JSON file of the same shape (`defaultCalendar`, `calendarByServiceCode`, `calendarByUnit`, `policyByServiceCode`, `policySet`, `urgencyClassByServiceCode`, `requestTypeByServiceCode`, `urgencyClasses`): the calendar and hours intake snapshots into each new ticket. Validated with `parseSlaConfig` at start; tickets keep the policy they were submitted with. Helm: `slaConfig`.'),
  spec('TONGBAN_SLA_POLICY_SET', ALL, "the config's `policySet`, else `default`", oneOf(Object.keys(POLICY_SETS)),
    "SLA policy set for new tickets: `default` (the article's 24 h / 72 h) or `sichuan` (Sichuan's 12345 measures: general requests on working days, resolution by request type)."),
  spec('TONGBAN_NATS_REPLICAS', ALL, '1', check('a whole number from 1 to 5', (v) => /^[1-5]$/.test(v.trim())),
    'JetStream replicas of the ticket event stream, its dead-letter stream, their consumers and the KV buckets; 3 on a NATS cluster. Existing streams are scaled at start. Helm: `natsReplicas`.'),
  spec('TONGBAN_CONSUMER_LAG_WARN_SECONDS', ALL, '30', positive(), 'a consumer handling events older than this logs `consumer is behind`, and `/readyz` marks it `behind`. Helm: `consumerLagWarnSeconds`.'),
  spec('TONGBAN_RELAY_LAG_MAX_SECONDS', ALL, '30', positive(), "the gateway's `/readyz` is 503 (`relay (lag N s > 30 s)`) while the relay's oldest unpublished event has waited longer than this."),
  // tracing (issue 12 item 4; read by packages/runtime/src/tracing-start.ts and the OpenTelemetry SDK)
  spec('OTEL_EXPORTER_OTLP_ENDPOINT', ALL, 'unset: tracing off (no SDK started)', absoluteUrl(['http', 'https']),
    'OTLP over HTTP receiver (an OpenTelemetry Collector, Jaeger, Tempo…), e.g. `http://otel-collector:4318`: spans go to `<endpoint>/v1/traces`. Set, every process starts the OpenTelemetry SDK (http, fastify, gRPC and pg instrumentation) and log lines carry `traceId`; see [Traces](#traces).'),
  spec('OTEL_EXPORTER_OTLP_PROTOCOL', ALL, 'http/protobuf', oneOf(['http/protobuf', 'http/json']), 'encoding of the exported spans.'),
  spec('OTEL_EXPORTER_OTLP_HEADERS', ALL, 'unset', check('comma-separated key=value pairs', (v) => v.split(',').every((pair) => /^[^=\s]+=.*$/.test(pair.trim()))),
    'headers of every export request (W3C Baggage format, values URL-encoded), e.g. an `Authorization` of a hosted backend.', 'secret'),
  spec('OTEL_SERVICE_NAME', ALL, "the process's name (`gateway`, `intake`, `relay`…)", anyText(), "`service.name` of the process's spans (`service.namespace` is `tongban`); leave unset so each process has its own."),
  spec('OTEL_TRACES_SAMPLER', ALL, 'parentbased_always_on', oneOf(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio']),
    'which traces are recorded; `parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG` keeps a share of user actions (whole traces: the later processes follow the gateway\'s decision through `traceparent`).'),
  spec('OTEL_TRACES_SAMPLER_ARG', ALL, '1', check('a number from 0 to 1', (v) => v.trim() !== '' && Number(v) >= 0 && Number(v) <= 1), 'the share of traces kept by the `…traceidratio` samplers.'),
  spec('OTEL_BSP_SCHEDULE_DELAY', ALL, '5000', positiveInteger(), 'ms between two exports of the buffered spans (the batch span processor).'),
  // identity
  spec('TONGBAN_JWT_SECRET', ['identity'], 'unset: the installation key generated on first start (table `identity_installation_key`)', check('at least 32 bytes', (v) => Buffer.byteLength(v) >= 32),
    'secret the Ed25519 token signing key is derived from; read by identity and `npm run token` only. Required when `NODE_ENV=production`. Helm: `jwtSecret` (generated and kept when empty).', 'secret'),
  spec('TONGBAN_REPORTER_KEY', ['intake', 'query', 'notification'], 'unset: the installation key generated on first start (table `reporter_installation_key`)', check('at least 32 bytes', (v) => Buffer.byteLength(v) >= 32),
    "issue 14 item 6: secret the reporters' key-wrapping key and device-hash key are derived from (HKDF-SHA256); every reporter's data key is wrapped with it (see [Reporter privacy and erasure](#reporter-privacy-and-erasure)). Required when `NODE_ENV=production`; changing it makes every sealed report unreadable. Helm: `reporterKey` (generated and kept when empty).", 'secret'),
  spec('TONGBAN_JWT_PREVIOUS_SECRET', ['identity'], 'unset', check('at least 32 bytes', (v) => Buffer.byteLength(v) >= 32),
    'during a key rotation: the previous secret, still accepted for verification, never used to sign. Helm: `jwtPreviousSecret`.', 'secret'),
  spec('TONGBAN_BOOTSTRAP_PASSWORD', ['identity'], 'unset: generated and printed once', anyText(),
    'one-time password of the bootstrap directory-admin `admin`, created on a directory without accounts (must be changed at the first sign-in). Helm: `bootstrapPassword`.', 'secret'),
  spec('TONGBAN_OIDC_ISSUER', ['identity'], 'unset: single sign-on off', absoluteUrl(['https', 'http']),
    'issuer URL of the OpenID Connect provider (discovery at `<issuer>/.well-known/openid-configuration`; HTTPS, plain HTTP only on loopback). Helm: `oidc.issuer`.'),
  spec('TONGBAN_OIDC_CLIENT_ID', ['identity'], 'unset', anyText(), "the platform's client id at the provider (required with `TONGBAN_OIDC_ISSUER`). Helm: `oidc.clientId`."),
  spec('TONGBAN_OIDC_CLIENT_SECRET', ['identity'], 'unset: a public client (PKCE only)', anyText(), 'the client secret (`client_secret_basic`). Helm: from a Secret, `oidc.clientSecret` or `oidc.clientSecretRef`.', 'secret'),
  spec('TONGBAN_OIDC_REDIRECT_URL', ['identity'], 'unset', absoluteUrl(['https', 'http']),
    "the redirect URL registered at the provider: the gateway's `/api/v1/auth/oidc/callback` as browsers reach it (required with `TONGBAN_OIDC_ISSUER`). Helm: `oidc.redirectUrl`."),
  // gateway
  spec('TONGBAN_PUBLIC_URL', ['gateway'], "the request's own address", absoluteUrl(['https', 'http']), 'public origin of the site, used in the QR codes of `/app/qr.svg` so printed posters name the public host.'),
  spec('TONGBAN_WEB_ROOT', ['gateway'], 'the repository\'s `apps/`', anyText(), 'folder holding the built web apps (`citizen/dist`, `console/dist`).'),
  spec('TONGBAN_TRUST_PROXY', ['gateway'], 'unset: none', anyText(),
    '`true` (any proxy), or a comma list of proxy addresses/CIDRs whose `X-Forwarded-For` entries are skipped to find the client IP for rate limits.'),
  spec('TONGBAN_RATE_LIMIT_PER_MINUTE', ['gateway'], '600', nonNegativeInteger('no limit'), 'requests per minute per citizen device.'),
  spec('TONGBAN_RATE_LIMIT_STAFF_PER_MINUTE', ['gateway'], '3000', nonNegativeInteger('no limit'), 'requests per minute per staff member.'),
  spec('TONGBAN_RATE_LIMIT_API_KEY_PER_MINUTE', ['gateway'], '1200', nonNegativeInteger('no limit'), 'requests per minute per Open311 client application.'),
  spec('TONGBAN_RATE_LIMIT_IP_PER_MINUTE', ['gateway'], '600', nonNegativeInteger('no limit'), 'requests per minute per IP without a token (and failed api_key verifications).'),
  spec('TONGBAN_OPEN311_JURISDICTION', ['gateway'], 'lsz.gov.cn', anyText(), "Open311 `jurisdiction_id`; a request naming another gets 404."),
  spec('TONGBAN_OPEN311_URL', ['gateway'], "from the request's Host and X-Forwarded-Proto", absoluteUrl(['https', 'http']), 'public URL of the Open311 endpoint announced by discovery.'),
  spec('TONGBAN_OPEN311_ENDPOINT_TYPE', ['gateway'], 'production', oneOf(['production', 'test']), 'the endpoint type discovery announces.'),
  spec('TONGBAN_OPEN311_CONTACT', ['gateway'], 'the operators of Liangshan', anyText(), "discovery's contact text."),
  spec('TONGBAN_OPEN311_KEY_SERVICE', ['gateway'], 'how keys are issued', anyText(), "discovery's key_service text."),
  // intake, query
  spec('TONGBAN_OPEN311_RETRY_WINDOW_SECONDS', ['intake'], '3600', nonNegative(), 'window in which an Open311 client retrying the same submission gets the same ticket.'),
  spec('TONGBAN_ATTACHMENTS_DIR', ['intake', 'query'], 'unset: PostgreSQL large objects', anyText(),
    'folder (a volume shared by intake and query) where attachment files are stored by hash instead of the database.'),
  spec('TONGBAN_ANCHOR_INTERVAL_MS', ['query'], '60000', nonNegativeInteger('off in this replica'), 'interval of the audit anchor rounds, ms (a whole number: `60s` is refused, not read as off).'),
  // deadline
  spec('TONGBAN_REESCALATE_HOURS', ['deadline'], '24', positive(), 'hours after a breach before the second escalation, to the prefecture.'),
  spec('TONGBAN_TIMER_BATCH', ['deadline'], '100', positiveInteger(), 'timers claimed per transaction.'),
  spec('TONGBAN_TIMER_CONCURRENCY', ['deadline'], '8', positiveInteger(), 'tickets fired in parallel.'),
  // notification
  spec('TONGBAN_WEBHOOKS', ['notification'], 'unset: none', json('array'), 'webhook subscriptions, JSON `[{id, url, secret, units?, kinds?}]` (checked in full at start); `secret`: a Standard Webhooks secret, `whsec_` and the base64 of 24–64 random bytes.', 'secret'),
  spec('TONGBAN_WEBHOOK_RETRY_HOURS', ['notification'], '24', positive(),
    'how long a failing webhook delivery is retried (exponential backoff up to 10 min) before it is `abandoned` (then `npm run -s webhooks -- redrive`).'),
  spec('TONGBAN_WEBHOOK_TIMEOUT_MS', ['notification'], '5000', positive(), 'timeout of one webhook POST.'),
  spec('TONGBAN_NOTIFY_CONTACTS', ['notification'], 'unset: none', json('array'), "JSON `[{unit, email?, phone?, language?, smsKinds?}]`: units' addresses and language."),
  spec('TONGBAN_NOTIFY_CLAIM_LEASE_MS', ['notification'], '30000', positive(), 'how long a send may stay unrecorded before it counts as interrupted by a crash.'),
  spec('TONGBAN_SMS_PROVIDER', ['notification'], 'unset: no SMS', oneOf(['aliyun', 'tencent', 'log']),
    '`aliyun` (Alibaba Cloud SMS), `tencent` (Tencent Cloud SMS) or `log` (development: writes the messages to the log).'),
  spec('TONGBAN_SMS_ACCESS_KEY_ID', ['notification'], 'unset', anyText(), "the provider's AccessKey id (Tencent: SecretId)."),
  spec('TONGBAN_SMS_ACCESS_KEY_SECRET', ['notification'], 'unset', anyText(), "the provider's AccessKey secret (Tencent: SecretKey).", 'secret'),
  spec('TONGBAN_SMS_SDK_APP_ID', ['notification'], 'unset', anyText(), "Tencent's SmsSdkAppId."),
  spec('TONGBAN_SMS_ENDPOINT', ['notification'], "the provider's", absoluteUrl(['https', 'http']), "overrides the provider's URL."),
  spec('TONGBAN_SMS_TEMPLATES', ['notification'], 'unset: no kind by SMS', json('object'),
    "JSON `{kind: templateCode}` or `{kind: {\"zh-Hans\"|\"en\"|\"ii\": templateCode}}`: the provider's registered templates (see [Notifications](#notifications))."),
  spec('TONGBAN_SMS_SIGN_NAME', ['notification'], '凉山通办', anyText(), 'the approved SMS signature (签名).'),
  spec('TONGBAN_SMTP_URL', ['notification'], 'unset: no e-mail', absoluteUrl(['smtp', 'smtps']), 'SMTP server for e-mail (nodemailer).', 'url-password'),
  spec('TONGBAN_SMTP_FROM', ['notification'], 'the SMTP user', anyText(), 'the e-mail sender.'),
];

/** The settings `process` reads. */
export function settingsOf(process: ProcessName): SettingSpec[] {
  return SETTINGS.filter((s) => s.processes.includes(process));
}

/** True for a process name the platform knows. */
export function isProcessName(name: string): name is ProcessName {
  return (PROCESS_NAMES as readonly string[]).includes(name);
}

/**
 * The declared schema of one process: a zod object of its variables, each optional (unset or empty: the
 * default), a set value checked by its rule.
 */
export function settingsSchema(process: ProcessName): z.ZodObject<Record<string, z.ZodType<string | undefined>>> {
  return z.object(Object.fromEntries(settingsOf(process).map((s) => [s.name, s.schema.optional()])));
}

/** The validated, set values of a process's settings (unset and empty ones left out). */
export type Settings = Readonly<Record<string, string>>;

/** `value` as `npm run config` and error lines show it. */
export function maskValue(spec: Pick<SettingSpec, 'masking'>, value: string): string {
  if (spec.masking === 'secret') return '********';
  if (spec.masking === 'url-password') {
    return value.split(',').map((part) => {
      if (!URL.canParse(part.trim())) return part;
      const url = new URL(part.trim());
      if (url.password) url.password = '***';
      return url.toString().replace(/\/$/, part.trim().endsWith('/') ? '/' : '');
    }).join(',');
  }
  return value;
}

/**
 * Validates the environment against `process`'s schema, once at start.
 * @throws ConfigError with one line: `NAME="value": not allowed; must be <what is allowed>` (a secret's value masked).
 */
export function loadSettings(process: ProcessName, env: NodeJS.ProcessEnv = globalThis.process.env): Settings {
  const specs = settingsOf(process);
  const present = Object.fromEntries(specs.flatMap((s) => {
    const value = env[s.name];
    return value === undefined || value === '' ? [] : [[s.name, value]];
  }));
  const result = settingsSchema(process).safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0]);
    const declared = specs.find((s) => s.name === name)!;
    throw new ConfigError(`${name}=${JSON.stringify(maskValue(declared, present[name] ?? ''))} is not allowed: must be ${declared.allowed}`);
  }
  return present;
}

/** One line per setting of `process`: `NAME=value` (masked) and where it came from (`env` or `default`). */
export function describeSettings(process: ProcessName, env: NodeJS.ProcessEnv): { name: string; value: string; source: 'env' | 'default' }[] {
  return settingsOf(process).map((s) => {
    const value = env[s.name];
    return value === undefined || value === ''
      ? { name: s.name, value: s.default, source: 'default' as const }
      : { name: s.name, value: maskValue(s, value), source: 'env' as const };
  });
}

/** The README's settings table (Markdown), generated from {@link SETTINGS}. */
export function settingsTable(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const readers = (s: SettingSpec) => (s.processes.length === PROCESS_NAMES.length ? 'all' : s.processes.join(', '));
  const rows = SETTINGS.map((s) => `| \`${s.name}\` | ${cell(readers(s))} | ${cell(s.default)} | ${cell(s.allowed)}${s.masking !== 'none' ? ' (masked)' : ''} | ${cell(s.what)} |`);
  return ['| variable | read by | default | allowed | what |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Markers around the generated table in README.md. */
export const SETTINGS_TABLE_MARKERS = { begin: '<!-- settings-table:begin (generated by npm run settings:doc from packages/runtime/src/settings.ts; do not edit) -->', end: '<!-- settings-table:end -->' } as const;

/** `readme` with the text between the markers replaced by the generated table. @throws Error when a marker is missing. */
export function withSettingsTable(readme: string): string {
  const begin = readme.indexOf(SETTINGS_TABLE_MARKERS.begin);
  const end = readme.indexOf(SETTINGS_TABLE_MARKERS.end);
  if (begin < 0 || end < begin) throw new Error('README.md: the settings table markers are missing');
  return `${readme.slice(0, begin + SETTINGS_TABLE_MARKERS.begin.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}
