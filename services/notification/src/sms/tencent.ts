import { createHash, createHmac } from 'node:crypto';
import { SmsError, type SmsMessage, type SmsProvider, type SmsReceipt } from './provider';

/**
 * Tencent Cloud SMS (API 3.0, version 2021-01-11, action SendSms) signed with TC3-HMAC-SHA256 as its
 * "signature v3" documents:
 * 1. CanonicalRequest = `POST\n/\n\n` + `content-type:application/json; charset=utf-8\nhost:<host>\n` +
 *    `\ncontent-type;host\n` + hex(SHA256(body));
 * 2. StringToSign = `TC3-HMAC-SHA256\n<timestamp>\n<date>/sms/tc3_request\n` + hex(SHA256(CanonicalRequest))
 *    (date = the timestamp's UTC day, yyyy-MM-dd);
 * 3. key = HMAC-SHA256(HMAC-SHA256(HMAC-SHA256("TC3" + SecretKey, date), "sms"), "tc3_request");
 *    Signature = hex(HMAC-SHA256(key, StringToSign));
 * 4. `Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=content-type;host, Signature=<sig>`
 *    with X-TC-Action, X-TC-Version, X-TC-Timestamp and X-TC-Region headers.
 * Body: {PhoneNumberSet: ["+86…"], SmsSdkAppId, SignName, TemplateId, TemplateParamSet: [positional],
 * SessionContext}; answer `{Response: {SendStatusSet: [{Code: "Ok", SerialNo, …}], RequestId}}` or
 * `{Response: {Error: {Code, Message}}}`. Its status pull lists no SessionContext, so `wasSent` is
 * not offered (see the ledger for what that means after a crash).
 */

export interface TencentSmsOptions {
  secretId: string;
  secretKey: string;
  smsSdkAppId: string;
  /** Default https://sms.tencentcloudapi.com/ */
  endpoint?: string;
  region?: string;
  timeoutMs?: number;
  now?: () => Date;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
const TC3_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The Authorization header value of a TC3-HMAC-SHA256 request. */
function tc3Authorization(args: { secretId: string; secretKey: string; host: string; service: string; timestamp: number; body: string }): string {
  const date = new Date(args.timestamp * 1000).toISOString().slice(0, 10);
  const canonicalRequest = ['POST', '/', '', `content-type:${TC3_CONTENT_TYPE}\nhost:${args.host}\n`, 'content-type;host', sha256(args.body)].join('\n');
  const scope = `${date}/${args.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(args.timestamp), scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(`TC3${args.secretKey}`, date), args.service), 'tc3_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `TC3-HMAC-SHA256 Credential=${args.secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`;
}

/** Error codes after which sending again cannot help (others, e.g. LimitExceeded.*, InternalError.*, are retried). */
const PERMANENT_PREFIXES = ['InvalidParameterValue', 'FailedOperation.TemplateIncorrectOrUnapproved', 'FailedOperation.SignatureIncorrectOrUnapproved',
  'FailedOperation.PhoneNumberInBlacklist', 'UnauthorizedOperation', 'AuthFailure', 'UnsupportedOperation', 'FailedOperation.ContainSensitiveWord',
  'FailedOperation.InsufficientBalanceInSmsPackage', 'InvalidParameter'];
const isPermanent = (code: string) => PERMANENT_PREFIXES.some((p) => code === p || code.startsWith(`${p}.`));

export function tencentSmsProvider(options: TencentSmsOptions): SmsProvider {
  const url = new URL(options.endpoint ?? 'https://sms.tencentcloudapi.com/');
  const now = options.now ?? (() => new Date());
  return {
    name: 'tencent',
    async send(m: SmsMessage): Promise<SmsReceipt> {
      const body = JSON.stringify({
        PhoneNumberSet: [`+86${m.phone}`], SmsSdkAppId: options.smsSdkAppId, SignName: m.signName, TemplateId: m.templateCode,
        TemplateParamSet: m.params.map(([, v]) => v), SessionContext: m.outId,
      });
      const timestamp = Math.floor(now().getTime() / 1000);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': TC3_CONTENT_TYPE,
            authorization: tc3Authorization({ secretId: options.secretId, secretKey: options.secretKey, host: url.host, service: 'sms', timestamp, body }),
            'x-tc-action': 'SendSms', 'x-tc-version': '2021-01-11', 'x-tc-timestamp': String(timestamp), 'x-tc-region': options.region ?? 'ap-guangzhou',
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (err) {
        throw new SmsError(`tencent SendSms: ${err instanceof Error ? err.message : String(err)}`, false, '', { cause: err });
      }
      const json = (await res.json().catch(() => ({}))) as { Response?: { Error?: { Code?: string; Message?: string }; SendStatusSet?: { Code?: string; Message?: string; SerialNo?: string }[] } };
      const error = json.Response?.Error;
      if (!res.ok || error) {
        const code = error?.Code ?? '';
        throw new SmsError(`tencent SendSms answered ${res.status} ${code} ${error?.Message ?? ''}`.trim(), res.status < 500 && isPermanent(code), code);
      }
      const status = json.Response?.SendStatusSet?.[0];
      if (status?.Code !== 'Ok') {
        const code = status?.Code ?? '';
        throw new SmsError(`tencent SendSms: ${code} ${status?.Message ?? ''}`.trim(), isPermanent(code), code);
      }
      return { providerId: status.SerialNo ?? '' };
    },
  };
}
