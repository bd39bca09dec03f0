/**
 * The auditor CLI against a database: as the documented read-only role (SELECT only) it verifies
 * everything (exit 0), finds a tampered ticket (exit 1), prints a timeline and a masked export, and
 * refuses an unmasked export it cannot record; with a writer role the unmasked export is recorded as a
 * PersonalDataDisclosed event first.
 */
import { loadReferenceData } from '@tongban/reference-data';
import { uniqueName } from '@tongban/testing';
import { generateWorkload } from '../../bench/workload/generate';
import { recordAnchors } from '../../services/query/src/audit/anchors';
import { DISCLOSURE_STREAM } from '../../services/query/src/audit/streams';
import { runCli } from '../../services/query/src/cli/main';
import { rebuildReadModels } from '../../services/query/src/rebuild';
import { type QueryTestDb, createQueryTestDb } from '../../services/query/src/testing/test-db';

let t: QueryTestDb;
let readOnlyUrl: string;
const role = uniqueName('auditor');

beforeAll(async () => {
  t = await createQueryTestDb();
  await generateWorkload(t.pool, loadReferenceData(), { tickets: 60, seed: 3, now: new Date('2026-03-01T00:00:00Z'), days: 20 });
  await rebuildReadModels(t.pool, t.store);
  await recordAnchors({ pool: t.pool, store: t.store, clock: t.clock });
  // docs/audit.md: the read-only auditor role.
  const db = new URL(t.url).pathname.slice(1);
  await t.pool.query(`CREATE ROLE ${role} LOGIN`);
  await t.pool.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}; GRANT USAGE ON SCHEMA public TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
  const url = new URL(t.url);
  url.username = role;
  readOnlyUrl = url.toString();
}, 60_000);
afterAll(async () => {
  await t?.dispose();
  const admin = await createQueryTestDb();
  await admin.pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  await admin.dispose();
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: { write: (s: string) => { out += s; } }, err: { write: (s: string) => { err += s; } }, env: { DATABASE_URL: readOnlyUrl } });
  return { code, out, err };
}

const someTicket = async (where = "status = 'closed'") =>
  (await t.pool.query<{ id: string; division: string }>(`SELECT ticket_id::text AS id, division FROM ticket_views WHERE ${where} ORDER BY ticket_id LIMIT 1`)).rows[0]!;

it('verifies everything with the read-only role, with progress, exit 0', async () => {
  const r = await cli('verify', '--all');
  expect(r).toMatchObject({ code: 0 });
  expect(r.out).toMatch(/^60 tickets, \d+ events checked: all intact$/m);
  expect(r.err).toMatch(/tickets \[#+\] 60\/60 tickets 100\.0% · [\d.]+\/s · ETA 0s/);
});

it('prints a timeline in Asia/Shanghai time with actor, channel and what changed', async () => {
  const { id } = await someTicket("state->>'channel' = 'proxy'");
  const r = await cli('history', id);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^LS-\d{4}-W\d{7} /);
  expect(r.out).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  #0  TicketSubmitted\n    by staff · information-officer@adm-\d+ · information-officer .*\(via proxy, on behalf of \S+\)/);
  expect(r.out).toMatch(/#1  TicketRouted\n.*\n    routed to .*\n    status: submitted → routed/);
});

it('exports masked NDJSON and CSV of a division', async () => {
  const { division } = await someTicket("state->>'channel' = 'app'");
  const nd = await cli('export', '--division', division, '--format', 'ndjson');
  expect(nd.code).toBe(0);
  const rows = nd.out.trim().split('\n').map((l) => JSON.parse(l));
  const submitted = rows.find((r) => r.type === 'TicketSubmitted' && r.data.reporter?.phone);
  expect(submitted.data.reporter.phone).toMatch(/^1\*+$/);
  expect(nd.err).toMatch(/events exported \(personal data masked\)/);
  const csv = await cli('export', '--division', division, '--format', 'csv', '--from', '2026-02-01');
  expect(csv.out.split('\r\n')[0]).toBe('ticketId,reference,division,stream,revision,eventId,type,occurredAt,recordedAt,actorKind,actorId,actorUnitId,actorRole,onBehalfOf,channel,service,correlationId,causationId,data,prevHash,hash');
  for (const line of csv.out.split('\r\n').slice(1, -1)) expect(line.split(',')[8]! >= '2026-01-31T16:00:00.000Z').toBe(true);
});

it('refuses an unmasked export it cannot record (read-only role); a writer records it first', async () => {
  const { division } = await someTicket();
  const refused = await cli('export', '--division', division, '--unmasked', '--reason', 'court order 2026-17');
  expect(refused.code).toBe(2);
  expect(refused.err).toMatch(/must be recorded first.*permission denied/);
  expect(refused.out).toBe('');
  let out = '';
  const code = await runCli(['export', '--division', division, '--unmasked', '--reason', 'court order 2026-17', '--auditor', 'auditor@adm-5134', '--database', t.url],
    { out: { write: (s: string) => { out += s; } }, err: { write: () => undefined }, env: {} });
  expect(code).toBe(0);
  expect(out).toMatch(/"phone":"1\d{10}"/);
  const recorded = await t.store.readStream(DISCLOSURE_STREAM);
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({ type: 'PersonalDataDisclosed', data: { division, reason: 'court order 2026-17', via: 'database' }, metadata: { actor: { id: 'auditor@adm-5134' } } });
});

it('a rebuild keeps the read-only role able to read the read models', async () => {
  await rebuildReadModels(t.pool, t.store);
  expect((await cli('verify', '--division', '5134')).code).toBe(0);
});

it('finds a tampered ticket and exits 1', async () => {
  const { id } = await someTicket();
  await t.pool.query(`UPDATE events SET data = jsonb_set(data, '{message}', '"改过了"') WHERE stream = $1 AND type = 'TicketReplied'`, [`ticket-${id}`]);
  const one = await cli('verify', id);
  expect(one.code).toBe(1);
  expect(one.out).toMatch(new RegExp(`^BROKEN   ticket-${id}  first bad revision \\d+: revision \\d+: hash does not match`));
  const all = await cli('verify', '--all', '--json');
  expect(all.code).toBe(1);
  const lines = all.out.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.filter((l) => l.intact === false).map((l) => l.ticketId)).toEqual([id]);
  expect(lines[lines.length - 1].summary).toMatchObject({ tickets: 60, broken: 1, intact: false });
});
