import { type Language, isLanguage } from '@tongban/i18n';
import type { NoticeContext } from './channels';
import type { UnitContact } from './contacts';
import { type Sender, addressesFor } from './outbound';
import type { Notice } from './recipients';
import { aliyunSmsProvider } from './sms/aliyun';
import { logSmsProvider } from './sms/log';
import { SmsError, type SmsProvider, smsParam } from './sms/provider';
import { tencentSmsProvider } from './sms/tencent';

/**
 * SMS: each notice kind is a template registered with the provider (TONGBAN_SMS_TEMPLATES), filled
 * with the notice's parameters in {@link SMS_PARAMS} order, each cut to 35 characters.
 */

/** Template parameters per notice kind, in order (Tencent's are positional: {1}, {2}, …). */
const SMS_PARAMS: Readonly<Record<string, readonly string[]>> = {
  accepted: ['reference', 'unit', 'dueAt'],
  'deadline-announced': ['reference', 'unit', 'dueAt'],
  'public-reply': ['reference', 'body'],
  resolved: ['reference', 'body'],
  'callback-requested': ['reference'],
  'information-requested': ['reference', 'body'],
  'ticket-arrived': ['reference', 'title'],
  'information-added': ['reference', 'body'],
  'deadline-warning': ['reference', 'leg', 'dueAt'],
  'deadline-breached': ['reference', 'leg', 'dueAt'],
  escalated: ['reference', 'title'],
  withdrawn: ['reference', 'title'],
};

/** TONGBAN_SMS_TEMPLATES: notice kind → template code, or → {language → template code}. */
export type SmsTemplates = Readonly<Record<string, string | Readonly<Partial<Record<Language, string>>>>>;

class SmsConfigError extends Error {
  override readonly name = 'SmsConfigError';
  readonly code = 'invalid_sms_config';
}

/** Parses TONGBAN_SMS_TEMPLATES (unset: none, so no SMS is sent). @throws SmsConfigError. */
export function parseSmsTemplates(raw: string | undefined): SmsTemplates {
  if (!raw?.trim()) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new SmsConfigError('TONGBAN_SMS_TEMPLATES is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SmsConfigError('TONGBAN_SMS_TEMPLATES must be an object {kind: templateCode | {language: templateCode}}');
  const entries: [string, unknown][] = Object.entries(json);
  for (const [kind, value] of entries) {
    if (!(kind in SMS_PARAMS)) throw new SmsConfigError(`TONGBAN_SMS_TEMPLATES: unknown notice kind ${kind}`);
    const ok = typeof value === 'string' ? value !== ''
      : typeof value === 'object' && value !== null && Object.entries(value).every(([l, c]) => isLanguage(l) && typeof c === 'string' && c !== '');
    if (!ok) throw new SmsConfigError(`TONGBAN_SMS_TEMPLATES.${kind} must be a template code or {zh-Hans|en|ii: template code}`);
  }
  return json as SmsTemplates;
}

/** The template of a notice in its language (else the zh-Hans one); undefined: not sent by SMS. */
function templateOf(templates: SmsTemplates, kind: string, language: Language): string | undefined {
  const t = templates[kind];
  if (t === undefined || typeof t === 'string') return t;
  return t[language] ?? t['zh-Hans'];
}

/**
 * The provider TONGBAN_SMS_PROVIDER names: `aliyun` (TONGBAN_SMS_ACCESS_KEY_ID/_SECRET), `tencent`
 * (TONGBAN_SMS_ACCESS_KEY_ID/_SECRET as SecretId/SecretKey, TONGBAN_SMS_SDK_APP_ID), `log`, or none
 * (unset). TONGBAN_SMS_ENDPOINT overrides the provider's endpoint.
 * @throws SmsConfigError for an unknown provider or missing credentials.
 */
export function smsProviderFromEnv(env: NodeJS.ProcessEnv, log: (entry: Record<string, unknown>, message: string) => void): SmsProvider | undefined {
  const name = env['TONGBAN_SMS_PROVIDER']?.trim() ?? '';
  const need = (key: string): string => {
    const value = env[key]?.trim();
    if (!value) throw new SmsConfigError(`TONGBAN_SMS_PROVIDER=${name} needs ${key}`);
    return value;
  };
  const endpoint = env['TONGBAN_SMS_ENDPOINT']?.trim() || undefined;
  switch (name) {
    case '': return undefined;
    case 'log': return logSmsProvider(log);
    case 'aliyun': return aliyunSmsProvider({ accessKeyId: need('TONGBAN_SMS_ACCESS_KEY_ID'), accessKeySecret: need('TONGBAN_SMS_ACCESS_KEY_SECRET'), ...(endpoint ? { endpoint } : {}) });
    case 'tencent': return tencentSmsProvider({
      secretId: need('TONGBAN_SMS_ACCESS_KEY_ID'), secretKey: need('TONGBAN_SMS_ACCESS_KEY_SECRET'), smsSdkAppId: need('TONGBAN_SMS_SDK_APP_ID'), ...(endpoint ? { endpoint } : {}),
    });
    default: throw new SmsConfigError(`TONGBAN_SMS_PROVIDER must be aliyun, tencent or log, not ${name}`);
  }
}

export interface SmsSenderOptions {
  provider: SmsProvider;
  templates: SmsTemplates;
  /** The approved signature (TONGBAN_SMS_SIGN_NAME; default 凉山通办). */
  signName: string;
  contacts: readonly UnitContact[];
}

/** SMS through a provider. */
export function smsSender(options: SmsSenderOptions): Sender {
  const addresses = addressesFor('sms', options.contacts);
  return {
    channel: 'sms',
    addresses: (notice: Notice, ctx: NoticeContext) => (templateOf(options.templates, notice.kind, notice.language) ? addresses(notice, ctx) : []),
    async send(notice, ctx, phone) {
      const templateCode = templateOf(options.templates, notice.kind, notice.language)!;
      const params = (SMS_PARAMS[notice.kind] ?? []).map((name) => [name, smsParam(notice.params[name] ?? '')] as const);
      const receipt = await options.provider.send({ phone, templateCode, params, signName: options.signName, outId: ctx.messageId });
      return receipt.providerId;
    },
    failure: (err) => (err instanceof SmsError ? { permanent: err.permanent, message: err.message } : { permanent: false, message: err instanceof Error ? err.message : String(err) }),
    ...(options.provider.wasSent
      ? { wasSent: (phone: string, ctx: NoticeContext, claim: { claimedAt: Date }) => options.provider.wasSent!(phone, ctx.messageId, new Date(claim.claimedAt.getTime() - 60_000)) }
      : {}),
  };
}
