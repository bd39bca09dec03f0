import { createHash } from 'node:crypto';
import exifr from 'exifr';
import { FIXTURE_GPS, fixture, jpegWithMetadata, pngWithMetadata, webpWithMetadata } from './testing/fixtures';
import { MAX_ATTACHMENT_BYTES, detectImageType } from './media';
import { AttachmentRejected, prepareAttachment } from './prepare';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');

async function refusal(bytes: Uint8Array): Promise<string> {
  try {
    await prepareAttachment(bytes);
  } catch (err) {
    if (err instanceof AttachmentRejected) return err.reason;
    throw err;
  }
  throw new Error('accepted');
}

describe('detectImageType', () => {
  it('knows JPEG, PNG and WebP by their first bytes, whatever the name says', () => {
    expect(detectImageType(fixture('wall.jpg'))).toBe('image/jpeg');
    expect(detectImageType(fixture('wall.png'))).toBe('image/png');
    expect(detectImageType(fixture('wall.webp'))).toBe('image/webp');
    expect(detectImageType(new TextEncoder().encode('GIF89a……'))).toBeUndefined();
    expect(detectImageType(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeUndefined();
    expect(detectImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    expect(detectImageType(Uint8Array.of(0xff, 0xd8))).toBeUndefined();
  });
});

describe('prepareAttachment', () => {
  it('strips Exif (camera, GPS), XMP, comments and trailers from a JPEG, leaving the image bytes as they were', async () => {
    const original = fixture('wall.jpg');
    const tagged = jpegWithMetadata(original);
    expect(await exifr.gps(Buffer.from(tagged))).toMatchObject({ latitude: expect.closeTo(FIXTURE_GPS.lat, 5) });
    const prepared = await prepareAttachment(tagged);
    expect(Buffer.from(prepared.bytes).equals(Buffer.from(original))).toBe(true);
    expect(text(prepared.bytes)).not.toMatch(/Exif|TestCam|xmpmeta|Zhang San|TRAILER/);
    expect(prepared).toMatchObject({ contentType: 'image/jpeg', size: original.length });
    expect(prepared.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    expect(prepared.location).toBeUndefined();
  });

  it('keeps the GPS position in the result (never in the file) only when asked', async () => {
    const prepared = await prepareAttachment(jpegWithMetadata(fixture('wall.jpg')), { keepLocation: true });
    expect(prepared.location?.lat).toBeCloseTo(FIXTURE_GPS.lat, 5);
    expect(prepared.location?.long).toBeCloseTo(FIXTURE_GPS.long, 5);
    expect(await exifr.gps(Buffer.from(prepared.bytes)).catch(() => undefined)).toBeUndefined();
  });

  it('strips eXIf, tEXt and tIME chunks from a PNG', async () => {
    const original = fixture('wall.png');
    const prepared = await prepareAttachment(pngWithMetadata(original));
    expect(Buffer.from(prepared.bytes).equals(Buffer.from(original))).toBe(true);
    expect(prepared.contentType).toBe('image/png');
  });

  it('strips EXIF and XMP chunks from a WebP and clears their VP8X flags', async () => {
    const original = fixture('wall.webp');
    const tagged = webpWithMetadata(original);
    expect(text(tagged)).toMatch(/EXIF/);
    const prepared = await prepareAttachment(tagged);
    expect(Buffer.from(prepared.bytes).equals(Buffer.from(original))).toBe(true);
    expect(prepared.contentType).toBe('image/webp');
  });

  it('the same picture with different metadata has the same hash (content addressing)', async () => {
    const a = await prepareAttachment(fixture('wall.jpg'));
    const b = await prepareAttachment(jpegWithMetadata(fixture('wall.jpg')));
    expect(a.sha256).toBe(b.sha256);
  });

  it('refuses empty, oversized, non-image and malformed files with a reason', async () => {
    expect(await refusal(new Uint8Array(0))).toBe('empty_attachment');
    const big = new Uint8Array(MAX_ATTACHMENT_BYTES + 1);
    big.set(fixture('wall.jpg'));
    expect(await refusal(big)).toBe('attachment_too_large');
    expect(await refusal(new TextEncoder().encode('GIF89a\x01\x00\x01\x00'))).toBe('unsupported_media_type');
    expect(await refusal(new TextEncoder().encode('%PDF-1.7 pretending to be photo.jpg'))).toBe('unsupported_media_type');
    expect(await refusal(fixture('wall.jpg').subarray(0, 200))).toBe('malformed_image');
    expect(await refusal(fixture('wall.png').subarray(0, 40))).toBe('malformed_image');
  });
});
