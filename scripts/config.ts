/**
 * `npm run config -- [process …]` (issue 12 item 1): validates and prints the effective settings of the
 * named processes (gateway, relay, identity, intake, routing, casework, deadline, notification, query;
 * none: every one), from this shell's environment: `NAME=value` and whether the value is the default.
 * Secrets are masked (passwords in URLs too). An invalid value: one line naming it, exit 1 — for the
 * notification service also a webhook, unit contact or SMS setting that is well-formed JSON but wrong inside.
 */
import { PROCESS_NAMES, describeSettings, endQuietlyWhenStdoutCloses, isProcessName, loadSettings } from '@tongban/runtime';
import { checkNotificationSettings } from '../services/notification/src/settings-check';

function main(args: readonly string[]): number {
  const unknown = args.filter((a) => !isProcessName(a));
  if (unknown.length > 0) {
    console.error(`unknown process ${unknown.join(', ')} (known: ${PROCESS_NAMES.join(', ')})`);
    return 2;
  }
  const chosen = args.length > 0 ? args.filter(isProcessName) : [...PROCESS_NAMES];
  let failed = false;
  for (const name of chosen) {
    try {
      loadSettings(name, process.env);
      if (name === 'notification') checkNotificationSettings(process.env); // webhooks, unit contacts, SMS: in full
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      console.error(`${name}: ${err.message}`);
      failed = true;
      continue;
    }
    const lines = describeSettings(name, process.env);
    const width = Math.min(60, Math.max(...lines.map((l) => l.name.length + l.value.length + 1)));
    console.log(`# ${name}`);
    for (const l of lines) console.log(`${`${l.name}=${l.value}`.padEnd(width)}  (${l.source === 'env' ? 'set' : 'default'})`);
    console.log('');
  }
  return failed ? 1 : 0;
}

endQuietlyWhenStdoutCloses();
process.exitCode = main(process.argv.slice(2));
