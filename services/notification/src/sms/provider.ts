/**
 * The SMS provider port. Chinese SMS rules: a message is a template registered with (and approved by)
 * the provider, identified by its template code, filled with parameters, and sent under an approved
 * signature (签名, shown as 【签名】 before the text). Adapters: Alibaba Cloud (aliyun.ts), Tencent Cloud
 * (tencent.ts), and `log` for development (log.ts); `TONGBAN_SMS_PROVIDER` selects one (config.ts).
 */

/** One text message to one phone. */
export interface SmsMessage {
  /** Mainland mobile number, 11 digits (1[3-9]…), without +86. */
  phone: string;
  /** The provider's registered template code (Alibaba `SMS_…`; Tencent a numeric template id). */
  templateCode: string;
  /** Template parameters by name, in template order (Tencent's parameters are positional). */
  params: ReadonlyArray<readonly [name: string, value: string]>;
  /** The approved signature (签名), without brackets. */
  signName: string;
  /** Our id of the message (the ledger's message id): Alibaba `OutId`, Tencent `SessionContext`. */
  outId: string;
}

/** What a provider answered for an accepted message. */
export interface SmsReceipt {
  /** The provider's id of the send (Alibaba BizId, Tencent SerialNo). */
  providerId: string;
}

/** A provider that sends text messages. */
export interface SmsProvider {
  readonly name: string;
  /**
   * Sends one message.
   * @throws SmsError — `permanent` when retrying cannot help (bad number, unknown template, refused
   *   content), else transient (network, 5xx, throttling), to be retried with backoff.
   */
  send(message: SmsMessage): Promise<SmsReceipt>;
  /**
   * Whether a message with this `outId` was already accepted for `phone` since `since` — answered from
   * the provider's send records where its API offers them (Alibaba QuerySendDetails lists OutId);
   * undefined when the provider cannot tell.
   */
  wasSent?(phone: string, outId: string, since: Date): Promise<boolean | undefined>;
}

/** A failed send. */
export class SmsError extends Error {
  override readonly name = 'SmsError';
  constructor(message: string, readonly permanent: boolean, readonly providerCode = '', options?: ErrorOptions) {
    super(message, options);
  }
  get code(): string {
    return this.permanent ? 'sms_rejected' : 'sms_unavailable';
  }
}

/** Mainland mobile numbers (GB/T numbering: 1, then 3–9, then 9 digits), with an optional +86/0086. */
const MOBILE = /^(?:\+?86|0086)?(1[3-9]\d{9})$/;

/** The 11-digit mainland mobile number in a text, or undefined when it is not one. */
export function mobileNumber(text: string): string | undefined {
  return MOBILE.exec(text.replace(/[\s-]/g, ''))?.[1];
}

/**
 * Segments of a message of `length` characters (Chinese SMS rules, UCS-2: 70 characters in one
 * message, 67 per part of a longer one; the signature 【…】 counts).
 */
export function smsSegments(length: number): number {
  return length <= 70 ? 1 : Math.ceil(length / 67);
}

/**
 * A parameter value as the providers accept it: Alibaba limits a variable of a notification template
 * to 35 characters; longer values are cut with "…" (the full text is in the app).
 */
export function smsParam(value: string, max = 35): string {
  const chars = [...value.replace(/\s+/g, ' ').trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}
