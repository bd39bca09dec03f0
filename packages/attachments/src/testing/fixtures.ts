import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Test support: small real images (a 64×48 picture drawn on a canvas and encoded by Chromium as JPEG,
 * PNG and WebP, in packages/attachments/fixtures) and builders that add metadata to them the way cameras and editors do:
 * an Exif block with a camera make and a GPS position, XMP, comments and text chunks.
 */

/** A fixture image's bytes. */
export function fixture(name: 'wall.jpg' | 'wall.png' | 'wall.webp'): Uint8Array {
  return new Uint8Array(readFileSync(join(__dirname, '..', '..', 'fixtures', name)));
}

/** The GPS position written by {@link exifTiff}: 27°55′30″ N, 103°30′ E (雷波县). */
export const FIXTURE_GPS = { lat: 27 + 55 / 60 + 30 / 3600, long: 103.5 };

/** A little-endian TIFF (Exif body) with IFD0 Make = "TestCam" and a GPS IFD at {@link FIXTURE_GPS}. */
export function exifTiff(): Uint8Array {
  const b = new Uint8Array(148);
  const v = new DataView(b.buffer);
  b.set([0x49, 0x49, 0x2a, 0x00]);
  v.setUint32(4, 8, true);
  const entry = (at: number, tag: number, type: number, count: number, value: number) => {
    v.setUint16(at, tag, true);
    v.setUint16(at + 2, type, true);
    v.setUint32(at + 4, count, true);
    v.setUint32(at + 8, value, true);
  };
  v.setUint16(8, 2, true);
  entry(10, 0x010f, 2, 8, 38); // Make → "TestCam\0" at 38
  entry(22, 0x8825, 4, 1, 46); // GPSInfo IFD at 46
  b.set(new TextEncoder().encode('TestCam\0'), 38);
  v.setUint16(46, 4, true);
  entry(48, 0x0001, 2, 2, 0x4e); // GPSLatitudeRef "N"
  entry(60, 0x0002, 5, 3, 100); // GPSLatitude at 100
  entry(72, 0x0003, 2, 2, 0x45); // GPSLongitudeRef "E"
  entry(84, 0x0004, 5, 3, 124); // GPSLongitude at 124
  [[27, 1], [55, 1], [30, 1], [103, 1], [30, 1], [0, 1]].forEach(([n, d], i) => {
    v.setUint32(100 + i * 8, n!, true);
    v.setUint32(104 + i * 8, d!, true);
  });
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function jpegSegment(marker: number, data: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0xff, marker, (data.length + 2) >> 8, (data.length + 2) & 0xff), data);
}

const text = (s: string) => new TextEncoder().encode(s);

/** The JPEG with an Exif APP1 (make, GPS), an XMP APP1 and a comment after SOI, and a trailer after EOI. */
export function jpegWithMetadata(jpeg: Uint8Array): Uint8Array {
  return concat(
    jpeg.subarray(0, 2),
    jpegSegment(0xe1, concat(text('Exif\0\0'), exifTiff())),
    jpegSegment(0xe1, text('http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret</x:xmpmeta>')),
    jpegSegment(0xfe, text('owner: Zhang San 13800000000')),
    jpeg.subarray(2),
    text('TRAILER-with-a-second-image'),
  );
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k += 1) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, data.length);
  head.set(text(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(text(type), data)));
  return concat(head, data, crc);
}

/** The PNG with eXIf (make, GPS), tEXt and tIME chunks after IHDR. */
export function pngWithMetadata(png: Uint8Array): Uint8Array {
  const ihdrEnd = 8 + 12 + 13;
  return concat(
    png.subarray(0, ihdrEnd),
    pngChunk('eXIf', exifTiff()),
    pngChunk('tEXt', text('Author\0Zhang San')),
    pngChunk('tIME', Uint8Array.of(0x07, 0xea, 6, 1, 12, 0, 0)),
    png.subarray(ihdrEnd),
  );
}

function riffChunk(fourCC: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  head.set(text(fourCC));
  new DataView(head.buffer).setUint32(4, data.length, true);
  return concat(head, data, data.length % 2 ? Uint8Array.of(0) : new Uint8Array(0));
}

/** The WebP (extended format, VP8X) with EXIF and XMP chunks appended and their VP8X flags set. */
export function webpWithMetadata(webp: Uint8Array): Uint8Array {
  const body = concat(webp.subarray(12), riffChunk('EXIF', exifTiff()), riffChunk('XMP ', text('<x:xmpmeta>secret</x:xmpmeta>')));
  const out = concat(webp.subarray(0, 12), body);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  if (new TextDecoder().decode(out.subarray(12, 16)) === 'VP8X') out[20] = out[20]! | 0x08 | 0x04;
  return out;
}
