import { createHmac, randomUUID } from 'node:crypto';
import { shanghaiDate } from '@tongban/domain';
import { SmsError, type SmsMessage, type SmsProvider, type SmsReceipt } from './provider';

/**
 * Alibaba Cloud SMS (Dysmsapi 2017-05-25) over its RPC-style HTTP API, signed as its "signature
 * mechanism" documents (SignatureVersion 1.0, HMAC-SHA1):
 * 1. every parameter except `Signature`, sorted by name, each name and value percent-encoded (RFC 3986,
 *    UTF-8: space %20, `*` %2A, `~` kept) and joined `name=value` with `&` — the canonicalized query;
 * 2. StringToSign = `GET&%2F&` + percentEncode(canonicalized query);
 * 3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
 * Common parameters: AccessKeyId, Action, Format=JSON, RegionId, SignatureMethod=HMAC-SHA1,
 * SignatureNonce (a UUID per request), SignatureVersion=1.0, Timestamp (UTC, yyyy-MM-ddTHH:mm:ssZ),
 * Version=2017-05-25. SendSms: PhoneNumbers, SignName, TemplateCode, TemplateParam (JSON), OutId;
 * answer `{Code: "OK", BizId, RequestId}` or an error `Code`. QuerySendDetails (PhoneNumber, SendDate
 * yyyyMMdd, PageSize, CurrentPage) lists the sends of a day with their OutId.
 */

export interface AliyunSmsOptions {
  accessKeyId: string;
  accessKeySecret: string;
  /** Default https://dysmsapi.aliyuncs.com/ */
  endpoint?: string;
  regionId?: string;
  timeoutMs?: number;
  /** Clock for Timestamp (tests). */
  now?: () => Date;
}

/** RFC 3986 percent-encoding as Alibaba Cloud's signature requires. */
function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonicalized query string of parameters (sorted, encoded; `Signature` excluded). */
export function canonicalizedQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params).filter((k) => k !== 'Signature').sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`).join('&');
}

/** Signature of a request with these parameters (method GET or POST). */
export function aliyunSignature(method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string {
  const stringToSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalizedQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

/** Error codes after which sending again cannot help (the rest, e.g. isv.BUSINESS_LIMIT_CONTROL, are retried). */
const PERMANENT = new Set([
  'isv.MOBILE_NUMBER_ILLEGAL', 'isv.TEMPLATE_MISSING_PARAMETERS', 'isv.SMS_TEMPLATE_ILLEGAL', 'isv.SMS_SIGNATURE_ILLEGAL',
  'isv.INVALID_PARAMETERS', 'isv.PARAM_LENGTH_LIMIT', 'isv.BLACK_KEY_CONTROL_LIMIT', 'isv.DENY_IP_RANGE', 'isv.MOBILE_COUNT_OVER_LIMIT',
  'isv.TEMPLATE_PARAMS_ILLEGAL', 'isv.ACCOUNT_NOT_EXISTS', 'isv.ACCOUNT_ABNORMAL', 'InvalidAccessKeyId.NotFound', 'SignatureDoesNotMatch',
]);

export function aliyunSmsProvider(options: AliyunSmsOptions): SmsProvider {
  const endpoint = options.endpoint ?? 'https://dysmsapi.aliyuncs.com/';
  const now = options.now ?? (() => new Date());
  const call = async (action: string, specific: Record<string, string>): Promise<Record<string, unknown>> => {
    const params: Record<string, string> = {
      AccessKeyId: options.accessKeyId, Action: action, Format: 'JSON', RegionId: options.regionId ?? 'cn-hangzhou',
      SignatureMethod: 'HMAC-SHA1', SignatureNonce: randomUUID(), SignatureVersion: '1.0',
      Timestamp: now().toISOString().replace(/\.\d{3}Z$/, 'Z'), Version: '2017-05-25', ...specific,
    };
    const query = `Signature=${percentEncode(aliyunSignature('GET', params, options.accessKeySecret))}&${canonicalizedQuery(params)}`;
    let res: Response;
    try {
      res = await fetch(`${endpoint}?${query}`, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new SmsError(`aliyun ${action}: ${err instanceof Error ? err.message : String(err)}`, false, '', { cause: err });
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const code = typeof body['Code'] === 'string' ? body['Code'] : '';
    if (res.ok && code === 'OK') return body;
    throw new SmsError(`aliyun ${action} answered ${res.status} ${code} ${String(body['Message'] ?? '')}`.trim(), res.status < 500 && PERMANENT.has(code), code);
  };
  return {
    name: 'aliyun',
    async send(m: SmsMessage): Promise<SmsReceipt> {
      const body = await call('SendSms', {
        PhoneNumbers: m.phone, SignName: m.signName, TemplateCode: m.templateCode,
        TemplateParam: JSON.stringify(Object.fromEntries(m.params)), OutId: m.outId,
      });
      return { providerId: String(body['BizId'] ?? '') };
    },
    async wasSent(phone, outId, since) {
      // Send records are kept per day (Asia/Shanghai): look at the day of `since` and today.
      const days = new Set([since, now()].map((d) => shanghaiDate(d.getTime()).replace(/-/g, '')));
      for (const SendDate of days) {
        const body = await call('QuerySendDetails', { PhoneNumber: phone, SendDate, PageSize: '50', CurrentPage: '1' });
        const dtos = (body['SmsSendDetailDTOs'] as { SmsSendDetailDTO?: { OutId?: string }[] } | undefined)?.SmsSendDetailDTO ?? [];
        if (dtos.some((d) => d.OutId === outId)) return true;
      }
      return false;
    },
  };
}
