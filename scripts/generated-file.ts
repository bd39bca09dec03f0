/**
 * Shared by the generators of checked-in text (`npm run settings:doc`, `npm run chart:doc`): write the
 * generated text, or with `--check` only say that the file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Writes `generate(current text of path)` to `path` when it differs. With `check`: writes nothing, prints
 * `<path>: <what> is stale; run <command>` to stderr and sets exit code 1 when it differs.
 */
export function updateGenerated(path: string, generate: (current: string) => string, options: { check: boolean; what: string; command: string }): void {
  const current = readFileSync(path, 'utf8');
  const generated = generate(current);
  if (generated === current) return;
  const name = relative(process.cwd(), path) || path;
  if (options.check) {
    console.error(`${name}: ${options.what} is stale; run ${options.command}`);
    process.exitCode = 1;
  } else {
    writeFileSync(path, generated);
    console.log(`${name}: ${options.what} written`);
  }
}
