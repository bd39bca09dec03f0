/**
 * `npm run deadletters -- list|redrive [--consumer <name>] [--seq <n>[,<n>…]] [--json]`
 *
 * list: every dead letter (events a consumer or the relay parked) with why, oldest first.
 * redrive: hands them back (all, or those of one consumer, or the sequences given): each consumer
 * handles its own again through its redrive consumer — idempotently, so each notice, timer or view
 * update happens exactly once — and the dead letter is removed. Reads NATS_URL, TONGBAN_EVENTS_STREAM,
 * TONGBAN_EVENTS_SUBJECT and TONGBAN_NAMESPACE like the services. Exit status: 0 done, 1 failed,
 * 2 bad usage.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { type DeadLetter, connectNats, listDeadLetters, redriveDeadLetters } from '@tongban/messaging';
import { endQuietlyWhenStdoutCloses, eventStreamNames, loadConfig, relayDurable } from '@tongban/runtime';

const USAGE = 'usage: npm run deadletters -- list|redrive [--consumer <name>] [--seq <n>[,<n>...]] [--json]';

/** Parsed command line. */
interface Args { command: 'list' | 'redrive'; consumer?: string; seqs?: number[]; json: boolean }

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== 'list' && command !== 'redrive') throw new Error(USAGE);
  const args: Args = { command, json: false };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (flag === '--json') args.json = true;
    else if (flag === '--consumer' && rest[i + 1]) args.consumer = rest[++i];
    else if (flag === '--seq' && rest[i + 1]) {
      const seqs = rest[++i]!.split(',').map(Number);
      if (seqs.some((n) => !Number.isSafeInteger(n) || n <= 0)) throw new Error(`--seq takes positive integers\n${USAGE}`);
      args.seqs = seqs;
    } else throw new Error(`unknown argument ${flag}\n${USAGE}`);
  }
  return args;
}

function line(d: DeadLetter): string {
  const what = d.event ? `${d.event.type} ${d.event.stream}@${d.event.revision} (event ${d.event.id})` : '(not an event envelope)';
  return `#${d.seq}  ${d.parkedAt}  ${d.consumer}  ${d.reason}  ${what}  after ${d.deliveries} deliveries: ${d.errorName}: ${d.error}`;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const config = loadConfig();
  const names = eventStreamNames({ config });
  const location = { stream: names.deadLetterStream, prefix: names.deadLetterPrefix };
  // A short name (routing) means this namespace's durable (tongban-routing).
  const consumer = args.consumer && !args.consumer.startsWith(`${config.namespace}-`) ? `${config.namespace}-${args.consumer}` : args.consumer;
  const nc = await connectNats(config.natsUrl, { name: 'tongban-deadletters', maxReconnectAttempts: 3 });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    if (args.command === 'list') {
      const letters = await listDeadLetters(js, jsm, location, consumer);
      if (args.json) console.log(JSON.stringify(letters, null, 2));
      else if (letters.length === 0) console.log('no dead letters');
      else for (const d of letters) console.log(line(d));
      return 0;
    }
    const result = await redriveDeadLetters(js, jsm, location, {
      ...(consumer ? { consumer } : {}), ...(args.seqs ? { seqs: args.seqs } : {}),
      relay: { consumer: relayDurable(config.namespace), eventsPrefix: names.prefix },
    });
    if (args.json) console.log(JSON.stringify(result, null, 2));
    else {
      for (const d of result.redriven) console.log(`redriven ${line(d)}`);
      for (const r of result.refused) console.log(`left in place ${line(r.letter)}: ${r.why}`);
      console.log(`${result.redriven.length} redriven, ${result.refused.length} left in place`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}

endQuietlyWhenStdoutCloses();
main().then((code) => process.exit(code), (err: unknown) => {
  console.error('deadletters failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
