import { type AttachmentType, ascii } from './media';

/** Thrown when a file that starts like an image is not a well-formed one (truncated, corrupt). */
export class MalformedImageError extends Error {
  override readonly name = 'MalformedImageError';
  readonly code = 'malformed_image';
}

/**
 * Removes metadata from an image without re-encoding it (the pixels are untouched, byte for byte):
 * - JPEG: every APPn segment but APP0 (JFIF), APP2 ICC_PROFILE and APP14 (Adobe colour transform) —
 *   so Exif (camera, serial numbers, time, GPS, thumbnail), XMP, IPTC/Photoshop and MPF go — and
 *   comments (COM); anything after the end-of-image marker (vendor trailers, extra images) is dropped.
 * - PNG: the eXIf, tEXt, zTXt, iTXt and tIME chunks.
 * - WebP: the EXIF and XMP chunks (and their flags in VP8X).
 * @throws MalformedImageError when the structure is broken.
 */
export function stripMetadata(bytes: Uint8Array, type: AttachmentType): Uint8Array {
  switch (type) {
    case 'image/jpeg': return stripJpeg(bytes);
    case 'image/png': return stripPng(bytes);
    case 'image/webp': return stripWebp(bytes);
  }
}

const SOS = 0xda;
const EOI = 0xd9;

function keepJpegSegment(marker: number, data: Uint8Array): boolean {
  if (marker === 0xfe) return false; // COM
  if (marker < 0xe0 || marker > 0xef) return true; // not APPn: tables, frame headers…
  if (marker === 0xe0 || marker === 0xee) return true; // APP0 JFIF/JFXX, APP14 Adobe
  if (marker === 0xe2) return ascii(data, 0, 12) === 'ICC_PROFILE\0';
  return false;
}

function stripJpeg(bytes: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [bytes.subarray(0, 2)];
  let i = 2;
  for (;;) {
    // Markers may be preceded by fill bytes 0xFF.
    if (i >= bytes.length || bytes[i] !== 0xff) throw new MalformedImageError('JPEG segment marker expected');
    while (bytes[i] === 0xff) i += 1;
    const marker = bytes[i];
    i += 1;
    if (marker === undefined) throw new MalformedImageError('JPEG ends inside a marker');
    if (marker === EOI) {
      out.push(Uint8Array.of(0xff, EOI));
      break;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      out.push(Uint8Array.of(0xff, marker));
      continue;
    }
    if (i + 2 > bytes.length) throw new MalformedImageError('JPEG segment length missing');
    const length = (bytes[i]! << 8) | bytes[i + 1]!;
    if (length < 2 || i + length > bytes.length) throw new MalformedImageError('JPEG segment runs past the end');
    const data = bytes.subarray(i + 2, i + length);
    if (marker === SOS) {
      // Entropy-coded data follows; a 0xFF in it is always followed by 0x00 or a restart marker, so the
      // first FF D9 is the end of the image. Progressive scans (DHT, SOS…) are copied as they are.
      const end = findEoi(bytes, i + length);
      out.push(bytes.subarray(i - 2, end));
      break;
    }
    if (keepJpegSegment(marker, data)) out.push(bytes.subarray(i - 2, i + length));
    i += length;
  }
  return concat(out);
}

function findEoi(bytes: Uint8Array, from: number): number {
  for (let j = from; j + 1 < bytes.length; j += 1) {
    if (bytes[j] === 0xff && bytes[j + 1] === EOI) return j + 2;
  }
  throw new MalformedImageError('JPEG has no end-of-image marker');
}

const PNG_DROPPED = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME']);

function stripPng(bytes: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 8;
  let ended = false;
  while (!ended) {
    if (i + 12 > bytes.length) throw new MalformedImageError('PNG chunk runs past the end');
    const length = view.getUint32(i);
    const type = ascii(bytes, i + 4, i + 8);
    const end = i + 12 + length;
    if (end > bytes.length) throw new MalformedImageError('PNG chunk runs past the end');
    if (!PNG_DROPPED.has(type)) out.push(bytes.subarray(i, end));
    ended = type === 'IEND';
    i = end;
  }
  return concat(out);
}

const WEBP_DROPPED = new Set(['EXIF', 'XMP ']);
const VP8X_XMP = 0x04;
const VP8X_EXIF = 0x08;

function stripWebp(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riffEnd = Math.min(bytes.length, 8 + view.getUint32(4, true));
  const chunks: Uint8Array[] = [];
  let i = 12;
  while (i + 8 <= riffEnd) {
    const fourCC = ascii(bytes, i, i + 4);
    const size = view.getUint32(i + 4, true);
    const end = i + 8 + size + (size % 2);
    if (i + 8 + size > riffEnd) throw new MalformedImageError('WebP chunk runs past the end');
    if (!WEBP_DROPPED.has(fourCC)) {
      const chunk = bytes.slice(i, Math.min(end, riffEnd));
      if (fourCC === 'VP8X' && size >= 1) chunk[8] = chunk[8]! & ~(VP8X_XMP | VP8X_EXIF);
      chunks.push(chunk);
    }
    i = end;
  }
  if (chunks.length === 0) throw new MalformedImageError('WebP has no chunks');
  const body = concat(chunks);
  const header = new Uint8Array(12);
  header.set(bytes.subarray(0, 4), 0);
  new DataView(header.buffer).setUint32(4, body.length + 4, true);
  header.set(bytes.subarray(8, 12), 8);
  return concat([header, body]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
