import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Files worth compressing (text), by extension. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt|map)$/;
/** Below this size compression does not pay off, bytes. */
const MIN_BYTES = 1024;

/** Every file under a folder, recursively (absolute paths). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Writes a gzip (level 9) and a brotli (quality 11) sibling (`x.js.gz`, `x.js.br`) of every text file
 * of at least 1 KiB under `dir`, so that the gateway's @fastify/static (`preCompressed`) sends them
 * without compressing per request. Returns how many files were compressed.
 */
export function precompressDir(dir: string): number {
  let count = 0;
  for (const path of filesUnder(dir)) {
    if (!COMPRESSIBLE.test(path)) continue;
    const raw = readFileSync(path);
    if (raw.length < MIN_BYTES) continue;
    writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
    writeFileSync(`${path}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
    count += 1;
  }
  return count;
}

/** A Vite plugin (structurally typed, no Vite import): pre-compresses the output folder after the build. */
export function precompress(): { name: string; apply: 'build'; writeBundle: (options: { dir?: string }) => void } {
  return {
    name: 'tongban-precompress',
    apply: 'build',
    writeBundle(options) {
      if (options.dir) precompressDir(options.dir);
    },
  };
}
