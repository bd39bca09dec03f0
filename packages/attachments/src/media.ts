/** The image types a ticket accepts (checked by content, never by file name or declared type). */
export const ATTACHMENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
/** One of {@link ATTACHMENT_TYPES}. */
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

/** Largest attachment, bytes (5 MB as the issue writes it: 5 × 1024 × 1024). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
/** Attachments per ticket. */
export const MAX_ATTACHMENTS_PER_TICKET = 6;

/**
 * The image type of a file from its first bytes (magic numbers): JPEG `FF D8 FF`, PNG
 * `89 50 4E 47 0D 0A 1A 0A`, WebP `RIFF····WEBP`. Undefined for anything else.
 */
export function detectImageType(bytes: Uint8Array): AttachmentType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}

/** Latin-1 text of bytes [from, to). */
export function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}
