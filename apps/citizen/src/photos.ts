/** Largest photo the app uploads, bytes (the "≤ 300 KB each"). */
const MAX_PHOTO_BYTES = 300 * 1024;
/** Photos per report (the API's limit). */
export const MAX_PHOTOS = 6;
/** Longest side of an uploaded photo, px. */
const MAX_SIDE = 1600;

/**
 * Compresses a photo on the phone to a JPEG of at most {@link MAX_PHOTO_BYTES}: scaled to at most
 * 1600 px on its longest side (turned upright from its EXIF orientation), then re-encoded at falling
 * quality, and scaled down further when even low quality is too large. Re-encoding drops the EXIF
 * metadata (the server strips it again). A file already small enough and a JPEG is kept as it is.
 * @throws Error when the browser cannot decode the file (not an image).
 */
export async function compressPhoto(file: Blob): Promise<Blob> {
  if (file.type === 'image/jpeg' && file.size <= MAX_PHOTO_BYTES) return file;
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    let scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    for (let round = 0; round < 6; round += 1) {
      for (const quality of [0.82, 0.7, 0.58, 0.46]) {
        const blob = await encode(bitmap, scale, quality);
        if (blob.size <= MAX_PHOTO_BYTES) return blob;
      }
      scale *= 0.7;
    }
    return encode(bitmap, scale, 0.4);
  } finally {
    bitmap.close();
  }
}

async function encode(bitmap: ImageBitmap, scale: number, quality: number): Promise<Blob> {
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no canvas');
  ctx.drawImage(bitmap, 0, 0, width, height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('encoding failed'))), 'image/jpeg', quality));
}
