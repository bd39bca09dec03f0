/**
 * Writes docs/ticket-lifecycle.md: the ticket statuses and every allowed transition, derived from the
 * decider (packages/domain/src/ticket/transitions.ts) by @tongban/docs. Run: `npx tsx scripts/gen-transitions.ts`.
 * `--check` exits 1 instead of writing when the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLifecycleMarkdown } from '@tongban/docs';

/** Path of the generated document. */
const LIFECYCLE_DOC = join(__dirname, '..', 'docs', 'ticket-lifecycle.md');

function main(): void {
  const markdown = renderLifecycleMarkdown();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(LIFECYCLE_DOC, 'utf8');
    } catch {
      // missing: out of date
    }
    if (current !== markdown) {
      process.stderr.write(`${LIFECYCLE_DOC} is out of date: run npx tsx scripts/gen-transitions.ts\n`);
      process.exit(1);
    }
    process.stdout.write(`${LIFECYCLE_DOC} is up to date\n`);
    return;
  }
  writeFileSync(LIFECYCLE_DOC, markdown);
  process.stdout.write(`wrote ${LIFECYCLE_DOC}\n`);
}

main();
