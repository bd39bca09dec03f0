/**
 * Sealing a reporter's personal data (issue 14 item 6, the Personal Information Protection Law's deletion
 * right): the data is encrypted with the reporter's own data key (AES-256-GCM) before it is written into
 * an event, so that destroying the key (reporter-keys.ts) erases it everywhere the event went — the event
 * store, the read models, the NATS stream, backups — while the hash chains, which cover the ciphertext,
 * stay verifiable. Pure functions over node:crypto; no I/O.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** What is sealed of a reporter: every field that names or reaches the person. */
export interface ReporterPersonalData {
  /** TicketSubmitted reporter.name / phone / email / account_id (Open311 first_name+last_name, phone, email, account_id). */
  name: string;
  phone: string;
  email: string;
  accountId: string;
  /** The person an officer reported for (TicketSubmitted on_behalf_of): name and contact. */
  onBehalfOf?: { name: string; contact: string };
}

/** Prefix of a sealed value: format version 1 = base64(iv 12 bytes | GCM tag 16 bytes | ciphertext). */
const SEALED_PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Length of every key here (AES-256, HMAC-SHA256), bytes. */
export const REPORTER_KEY_BYTES = 32;

/** A sealed value that does not open: tampered, truncated, another ticket's, or sealed with another key. */
export class SealError extends Error {
  override readonly name = 'SealError';
  readonly code = 'unsealable';
}

/**
 * Encrypts `plaintext` with `key` (32 bytes, AES-256-GCM, a random 96-bit IV) bound to `context` (the
 * additional authenticated data: the ticket id, so a sealed value copied into another ticket does not open).
 * @returns `v1.<base64 of iv | tag | ciphertext>`
 */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
}

/** Decrypts a value of {@link seal} with the same key and context. @throws SealError when it does not open. */
export function unseal(key: Buffer, sealed: string, context: string): string {
  if (!sealed.startsWith(SEALED_PREFIX)) throw new SealError('not a sealed value (v1.)');
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new SealError('sealed value too short');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new SealError('sealed value does not open (wrong key or context, or altered)', { cause: err });
  }
}

/** Seals a reporter's personal data for one ticket (JSON inside). */
export function sealPersonalData(key: Buffer, data: ReporterPersonalData, ticketId: string): string {
  return seal(key, JSON.stringify(data), ticketId);
}

/** Opens {@link sealPersonalData}. @throws SealError when it does not open. */
export function unsealPersonalData(key: Buffer, sealed: string, ticketId: string): ReporterPersonalData {
  const o = JSON.parse(unseal(key, sealed, ticketId)) as Partial<ReporterPersonalData>;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    name: s(o.name), phone: s(o.phone), email: s(o.email), accountId: s(o.accountId),
    ...(o.onBehalfOf ? { onBehalfOf: { name: s(o.onBehalfOf.name), contact: s(o.onBehalfOf.contact) } } : {}),
  };
}

/** The keys derived from the installation's reporter secret (see {@link reporterSecrets}). */
export interface ReporterSecrets {
  /** Wraps (AES-256-GCM) every reporter's data key. */
  wrappingKey: Buffer;
  /** Names the wrapping key (first 16 hex digits of its SHA-256), stored beside each wrapped key for a later rotation. */
  wrappingKeyId: string;
  /** Keyed hash (HMAC-SHA256, hex) of a device identifier, for matching a reporter without keeping the identifier. */
  deviceHash(scope: string): string;
}

/**
 * Derives the wrapping key and the device-hash key from the reporter secret (`TONGBAN_REPORTER_KEY`, or the
 * generated installation key) with HKDF-SHA256 (RFC 5869; salt `tongban/reporter-keys`, info `wrap/v1` and
 * `device-hash/v1`), so neither is the secret itself and each has one use.
 */
export function reporterSecrets(secret: string): ReporterSecrets {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'tongban/reporter-keys', info, REPORTER_KEY_BYTES));
  const wrappingKey = derive('wrap/v1');
  const hashKey = derive('device-hash/v1');
  return {
    wrappingKey,
    wrappingKeyId: createHash('sha256').update(wrappingKey).digest('hex').slice(0, 16),
    deviceHash: (scope) => createHmac('sha256', hashKey).update(scope, 'utf8').digest('hex'),
  };
}

/** A new random data key (32 bytes). */
export function newDataKey(): Buffer {
  return randomBytes(REPORTER_KEY_BYTES);
}
