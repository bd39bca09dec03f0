/**
 * Administration of Open311 API keys (stored by intake, hashed; see api-keys.ts):
 *
 *   npm run -s apikey -- create --name <app>     prints a new key for the application (stdout: the key only)
 *   npm run -s apikey -- revoke <key | key id>   revokes it (takes effect on the next request)
 *   npm run -s apikey -- list                    key ids, applications, created/revoked times
 *
 * Connects to DATABASE_URL (the platform's database) and applies intake's migrations first, so it works
 * before intake has ever started. Errors go to stderr with exit code 2.
 */
import { parseArgs } from 'node:util';
import { runMigrations } from '@tongban/eventstore';
import { endQuietlyWhenStdoutCloses, loadConfig, systemClock } from '@tongban/runtime';
import pg from 'pg';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey } from './api-keys';
import { INTAKE_MIGRATIONS } from './migrations';

const USAGE = 'usage: npm run -s apikey -- create --name <app> | revoke <key|key id> | list';

/** Runs one command against `pool`; returns what to print on stdout (notes for the operator go to `note`). */
export async function runApiKeyCommand(
  pool: pg.Pool, argv: readonly string[], note: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): Promise<string> {
  const { positionals, values } = parseArgs({ args: [...argv], allowPositionals: true, options: { name: { type: 'string' } } });
  const [command, argument] = positionals;
  await runMigrations(pool, 'intake', INTAKE_MIGRATIONS);
  switch (command) {
    case 'create': {
      if (!values.name) throw new ApiKeyError('invalid_name', `--name is required\n${USAGE}`);
      const { key, keyId } = await createApiKey(pool, values.name, systemClock);
      note(`created key tb311_${keyId} for ${values.name}; keep it secret: it is shown only once`);
      return key;
    }
    case 'revoke': {
      if (!argument) throw new ApiKeyError('malformed_key', `the key to revoke is required\n${USAGE}`);
      const revoked = await revokeApiKey(pool, argument, systemClock);
      return `revoked tb311_${revoked.keyId} (${revoked.clientName}) at ${revoked.revokedAt ?? ''}`;
    }
    case 'list':
      return (await listApiKeys(pool)).map((k) => `tb311_${k.keyId}\t${k.clientName}\tcreated ${k.createdAt}\t${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`).join('\n');
    default:
      throw new ApiKeyError('malformed_key', USAGE);
  }
}

if (require.main === module) {
  endQuietlyWhenStdoutCloses();
  const pool = new pg.Pool({ connectionString: loadConfig().databaseUrl, max: 2 });
  runApiKeyCommand(pool, process.argv.slice(2)).then(
    (out) => { if (out) process.stdout.write(`${out}\n`); },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  ).finally(() => void pool.end());
}
