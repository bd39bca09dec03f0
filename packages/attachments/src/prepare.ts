import { createHash } from 'node:crypto';
import { type AttachmentType, MAX_ATTACHMENT_BYTES, detectImageType } from './media';
import { MalformedImageError, stripMetadata } from './strip';

/** Why a file is refused (the machine `reason` of the 4xx answer). */
export type AttachmentRefusal = 'unsupported_media_type' | 'attachment_too_large' | 'empty_attachment' | 'malformed_image';

/** A refused file: the reason and a sentence for people. */
export class AttachmentRejected extends Error {
  override readonly name = 'AttachmentRejected';
  constructor(readonly reason: AttachmentRefusal, message: string) {
    super(message);
  }
  /** The machine code (same as `reason`). */
  get code(): string {
    return this.reason;
  }
}

/** A file ready to store: stripped bytes, their SHA-256 (hex), type, size; GPS when it was to be kept. */
export interface PreparedAttachment {
  sha256: string;
  contentType: AttachmentType;
  /** Bytes after stripping. */
  size: number;
  bytes: Uint8Array;
  /** Where the photo was taken (WGS-84 from its EXIF GPS), only when the reporter chose to share it. */
  location?: { lat: number; long: number };
}

/**
 * Checks and prepares an uploaded file: not empty, at most 5 MB, a JPEG, PNG or WebP by its magic
 * bytes; metadata stripped (see stripMetadata), then hashed. With `keepLocation` the EXIF GPS position
 * is read before stripping and returned (the file never keeps it).
 * @throws AttachmentRejected
 */
export async function prepareAttachment(bytes: Uint8Array, options: { keepLocation?: boolean } = {}): Promise<PreparedAttachment> {
  if (bytes.length === 0) throw new AttachmentRejected('empty_attachment', 'the file is empty');
  if (bytes.length > MAX_ATTACHMENT_BYTES) throw new AttachmentRejected('attachment_too_large', 'a file may have at most 5 MB');
  const contentType = detectImageType(bytes);
  if (!contentType) throw new AttachmentRejected('unsupported_media_type', 'only JPEG, PNG and WebP images are accepted (checked by content)');
  let stripped: Uint8Array;
  try {
    stripped = stripMetadata(bytes, contentType);
  } catch (err) {
    if (err instanceof MalformedImageError) throw new AttachmentRejected('malformed_image', `the image is malformed: ${err.message}`);
    throw err;
  }
  const location = options.keepLocation ? await gpsOf(bytes) : undefined;
  return {
    sha256: createHash('sha256').update(stripped).digest('hex'),
    contentType,
    size: stripped.length,
    bytes: stripped,
    ...(location ? { location } : {}),
  };
}

async function gpsOf(bytes: Uint8Array): Promise<{ lat: number; long: number } | undefined> {
  try {
    // Loaded on first use: only uploads that keep their location need an EXIF reader.
    const { default: exifr } = await import('exifr');
    const gps = await exifr.gps(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (gps && Number.isFinite(gps.latitude) && Number.isFinite(gps.longitude)) return { lat: gps.latitude, long: gps.longitude };
  } catch {
    // No readable EXIF: no location.
  }
  return undefined;
}
