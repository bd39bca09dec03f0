import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TICKET_COMMAND_TYPES, allowedTransitions, deriveTransitions } from '@tongban/domain';
import { COMMAND_ROUTES, renderLifecycleMarkdown } from './lifecycle';

const LIFECYCLE_DOC = join(__dirname, '..', '..', '..', 'docs', 'ticket-lifecycle.md');

const table = deriveTransitions();

describe('docs/ticket-lifecycle.md, rendered from the derived transition table', () => {
  it('is what the decider says (regenerate: npx tsx scripts/gen-transitions.ts)', () => {
    expect(readFileSync(LIFECYCLE_DOC, 'utf8')).toBe(renderLifecycleMarkdown(table));
  });

  it('names a route for every command type, and no other', () => {
    expect(Object.keys(COMMAND_ROUTES).sort()).toEqual([...TICKET_COMMAND_TYPES].sort());
  });

  it('internal commands have no HTTP route; every other command has a POST route under /api/v1/tickets', () => {
    const internal = TICKET_COMMAND_TYPES.filter((c) => COMMAND_ROUTES[c].startsWith('internal'));
    expect(internal).toEqual(['RouteTicket', 'IssueDeadlineWarning', 'RecordDeadlineBreach', 'RecordMergedDuplicate', 'RecordCallbackOverdue']);
    for (const c of TICKET_COMMAND_TYPES.filter((x) => !internal.includes(x))) expect(COMMAND_ROUTES[c]).toMatch(/^POST \/api\/v1\/tickets(\/\{id\}\/[a-z-]+)?$/);
  });

  it('has one row per allowed transition', () => {
    const markdown = renderLifecycleMarkdown(table);
    const section = markdown.slice(markdown.indexOf('## Transitions'), markdown.indexOf('## Refused'));
    expect(section.split('\n').filter((l) => l.startsWith('| `'))).toHaveLength(allowedTransitions(table).length);
  });
});
