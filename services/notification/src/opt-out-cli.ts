/**
 * `npm run -s notify -- opt-out|opt-in --sms <phone> | --email <address>`: records (or lifts) an opt-out
 * against DATABASE_URL; the SMS and e-mail channels then send nothing to that address (ledger state
 * `opted_out`). Exit 2 with a message on bad arguments.
 */
import { runCli, withNotificationPool } from './cli';
import { type LedgerChannel, setOptOut } from './ledger';
import { mobileNumber } from './sms/provider';

async function main(argv: string[]): Promise<number> {
  const [command, flag, value = ''] = argv;
  const channel: LedgerChannel | undefined = flag === '--sms' ? 'sms' : flag === '--email' ? 'email' : undefined;
  const address = channel === 'sms' ? mobileNumber(value) : channel === 'email' && /^[^\s@]+@[^\s@]+$/.test(value) ? value : undefined;
  if ((command !== 'opt-out' && command !== 'opt-in') || !channel || !address) {
    process.stderr.write('usage: npm run -s notify -- opt-out|opt-in --sms <mainland mobile number> | --email <address>\n');
    return 2;
  }
  return withNotificationPool(async (pool) => {
    await setOptOut(pool, channel, address, command === 'opt-out');
    process.stdout.write(`${command} ${channel} ${address}\n`);
    return 0;
  });
}

runCli(main);
