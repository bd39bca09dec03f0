/**
 * tongban-audit — the auditor's command line (`npm run audit -- <command>` or the `tongban-audit` bin).
 *
 *   tongban-audit verify <ticket-id>            one ticket
 *   tongban-audit verify --division <code>      every ticket of a division (its subtree)
 *   tongban-audit verify --all                  every ticket, the anchors and deleted streams
 *   tongban-audit history <ticket-id>           the timeline (Asia/Shanghai time, actor, channel, on behalf of, changes)
 *   tongban-audit export --division <code> [--from <date|instant>] [--to …] [--format ndjson|csv] [--out <file>]
 *                        [--unmasked --reason "<why>"]
 *
 * Source: the database (--database <url>, default DATABASE_URL; a read-only role suffices, see
 * docs/audit.md) or the API (--api <url> --token <auditor token>, or TONGBAN_API_URL / TONGBAN_TOKEN).
 * Exit codes: 0 all intact / done; 1 something is broken (verify); 2 usage or access error.
 */
import { createWriteStream } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { parseShanghaiDateOrInstant } from '@tongban/domain';
import { loadReferenceData } from '@tongban/reference-data';
import { endQuietlyWhenStdoutCloses, loadConfig } from '@tongban/runtime';
import { csvHeader, csvLine } from '../audit/export';
import { apiSource } from './api-source';
import { databaseSource } from './db-source';
import { Progress } from './progress';
import { type AuditSource, CliError, type TicketVerification } from './source';
import { renderTimeline } from './timeline';

const USAGE = `usage:
  tongban-audit verify (<ticket-id> | --division <code> | --all) [--json]
  tongban-audit history <ticket-id> [--json]
  tongban-audit export --division <code> [--from <date|instant>] [--to <date|instant>] [--format ndjson|csv] [--out <file>]
                       [--unmasked --reason "<why>"] [--auditor <staff id>]
source (default: the database at DATABASE_URL):
  --database <url>                 read the database (a read-only role is enough, except for --unmasked)
  --api <url> --token <token>      read through the API with an auditor token (or TONGBAN_API_URL, TONGBAN_TOKEN)
dates: YYYY-MM-DD (midnight Asia/Shanghai) or an ISO-8601 instant with an offset.`;

/** Output streams and environment of a run (injected by tests). */
export interface CliIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

function parseDate(value: string | undefined, name: string): string | undefined {
  if (!value) return undefined;
  const ms = parseShanghaiDateOrInstant(value);
  if (Number.isNaN(ms)) throw new CliError(`--${name}: not a date or an instant with an offset: ${value}`);
  return new Date(ms).toISOString();
}

function describe(v: TicketVerification): string {
  return v.intact
    ? `intact   ${v.stream}  ${v.checkedEvents} events${v.anchor ? `, anchored at revision ${v.anchor.revision} (anchor #${v.anchor.anchorRevision})` : ', not anchored yet'}`
    : `BROKEN   ${v.stream}  ${v.firstBadRevision !== undefined ? `first bad revision ${v.firstBadRevision}: ` : ''}${v.reason ?? ''}`;
}

/** Runs the CLI with arguments; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        division: { type: 'string' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
        from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string', default: 'ndjson' }, out: { type: 'string' },
        unmasked: { type: 'boolean', default: false }, reason: { type: 'string' }, auditor: { type: 'string' },
        database: { type: 'string' }, api: { type: 'string' }, token: { type: 'string' }, 'page-size': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.err.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  const [command, arg] = positionals;
  if (o.help || !command) {
    (o.help ? io.out : io.err).write(`${USAGE}\n`);
    return o.help ? 0 : 2;
  }
  const api = o.api ?? io.env['TONGBAN_API_URL'];
  let source: AuditSource | undefined;
  try {
    if (api) {
      const token = o.token ?? io.env['TONGBAN_TOKEN'];
      if (!token) throw new CliError('--api needs --token <auditor token> (or TONGBAN_TOKEN)');
      source = apiSource(api, token);
    } else {
      const url = o.database ?? loadConfig(io.env).databaseUrl;
      source = databaseSource(url, o.auditor ?? `cli:${userInfo().username}`);
    }
    const pageSize = Math.min(Math.max(Number(o['page-size'] ?? 500) || 500, 1), 1000);
    switch (command) {
      case 'verify': return await verify(source, arg, o.division, o.all, o.json, pageSize, io);
      case 'history': {
        if (!arg) throw new CliError('history needs a ticket id');
        const events = await source.history(arg);
        io.out.write(o.json ? `${JSON.stringify(events, null, 2)}\n` : `${renderTimeline(arg, events, loadReferenceData()).join('\n')}\n`);
        return 0;
      }
      case 'export': return await exportEvents(source, {
        division: o.division, from: parseDate(o.from, 'from'), to: parseDate(o.to, 'to'), format: o.format, out: o.out,
        unmasked: o.unmasked, reason: o.reason, pageSize: Math.min(pageSize, 200),
      }, io);
      default:
        throw new CliError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err.write(`tongban-audit: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await source?.close();
  }
}

async function verify(
  source: AuditSource, ticketId: string | undefined, division: string | undefined, all: boolean, json: boolean, pageSize: number, io: CliIo,
): Promise<number> {
  if (ticketId) {
    const v = await source.verifyTicket(ticketId);
    io.out.write(json ? `${JSON.stringify(v)}\n` : `${describe(v)}\n`);
    return v.intact ? 0 : 1;
  }
  if (!division && !all) throw new CliError('verify needs a ticket id, --division <code> or --all');
  io.err.write(`verifying ${division ? `division ${division}` : 'every ticket'} from ${source.description}\n`);
  const broken: TicketVerification[] = [];
  const anchorProblems: string[] = [];
  if (all && source.verifyAnchors) {
    const bar = new Progress('anchors', undefined, 'anchors', io.err);
    const anchors = await source.verifyAnchors((n) => bar.update(n));
    bar.finish();
    anchorProblems.push(...anchors.problems);
    for (const p of anchors.problems) io.out.write(json ? `${JSON.stringify({ anchors: p })}\n` : `BROKEN   audit-anchors  ${p}\n`);
  } else if (all) {
    io.err.write('note: the API does not verify the anchors stream itself; use --database for that\n');
  }
  const bar = new Progress('tickets', undefined, 'tickets', io.err);
  let checked = 0;
  let events = 0;
  for (let after: string | undefined; ;) {
    const page = await source.verifyPage(division, after, pageSize);
    if (page.total > 0) bar.setTotal(page.total);
    for (const v of page.results) {
      checked += 1;
      events += v.checkedEvents;
      if (!v.intact) {
        broken.push(v);
        if (io.err.isTTY && !json) io.err.write('\r\x1b[K');
        io.out.write(json ? `${JSON.stringify(v)}\n` : `${describe(v)}\n`);
      }
    }
    bar.update(checked);
    if (!page.next) break;
    after = page.next;
  }
  bar.finish();
  const ok = broken.length === 0 && anchorProblems.length === 0;
  const summary = `${checked} tickets, ${events} events checked: ${ok ? 'all intact' : `${broken.length} broken ticket(s)${anchorProblems.length ? `, ${anchorProblems.length} anchor problem(s)` : ''}`}`;
  if (json) io.out.write(`${JSON.stringify({ summary: { tickets: checked, events, broken: broken.length, anchorProblems: anchorProblems.length, intact: ok } })}\n`);
  else io.out.write(`${summary}\n`);
  return ok ? 0 : 1;
}

async function exportEvents(
  source: AuditSource,
  o: { division?: string | undefined; from?: string | undefined; to?: string | undefined; format: string; out?: string | undefined; unmasked: boolean; reason?: string | undefined; pageSize: number },
  io: CliIo,
): Promise<number> {
  if (!o.division) throw new CliError('export needs --division <code>');
  if (!['ndjson', 'csv'].includes(o.format)) throw new CliError('--format must be ndjson or csv');
  if (o.unmasked && !o.reason?.trim()) throw new CliError('--unmasked needs --reason "<why the personal data is needed>" (it is recorded)');
  const file = o.out ? createWriteStream(o.out) : undefined;
  const write = (text: string) => (file ? new Promise<void>((resolve, reject) => file.write(text, (err) => (err ? reject(err) : resolve()))) : Promise.resolve(void io.out.write(text)));
  const bar = new Progress('export', source.exportTotal ? await source.exportTotal(o.division) : undefined, 'tickets', io.err);
  let tickets = 0;
  let rows = 0;
  let disclosureId: string | undefined;
  try {
    if (o.format === 'csv') await write(csvHeader());
    for (let after: string | undefined; ;) {
      const page = await source.exportPage({
        division: o.division, unmasked: o.unmasked, format: o.format, limit: o.pageSize,
        ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}), ...(o.reason ? { reason: o.reason } : {}),
        ...(after ? { afterStream: after } : {}), ...(disclosureId ? { disclosureId } : {}),
      });
      disclosureId ??= page.disclosureId;
      for (const row of page.rows) await write(o.format === 'csv' ? csvLine(row) : `${JSON.stringify(row)}\n`);
      rows += page.rows.length;
      tickets += new Set(page.rows.map((r) => r.stream)).size;
      bar.update(tickets);
      if (!page.next) break;
      after = page.next;
    }
  } finally {
    if (file) await new Promise<void>((resolve) => file.end(resolve));
  }
  bar.finish();
  io.err.write(`${rows} events exported${o.unmasked ? ` UNMASKED (recorded as disclosure ${disclosureId ?? '?'})` : ' (personal data masked)'}\n`);
  return 0;
}

/** Runs the CLI on this process's arguments and streams and sets the exit code. */
export function main(): void {
  runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, env: process.env }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      console.error('tongban-audit failed:', err instanceof Error ? err.message : err);
      process.exitCode = 2;
    },
  );
}

if (require.main === module) {
  endQuietlyWhenStdoutCloses();
  main();
}
