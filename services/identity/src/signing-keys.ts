import { generateSecret, signingKeyFromSecret, type PublicJwk, type SigningKey } from '@tongban/auth';
import { runMigrations } from '@tongban/eventstore';
import { ConfigError } from '@tongban/runtime';
import type pg from 'pg';
import { IDENTITY_MIGRATIONS } from './migrations';

/**
 * The keys of the platform's tokens:
 * - `TONGBAN_JWT_SECRET` (≥ 32 bytes): the signing key is derived from it (see signingKeyFromSecret);
 * - unset: from the installation key, generated on the first start into the table
 *   `identity_installation_key` of the database and read from there afterwards (development and single
 *   machines; with NODE_ENV=production the process refuses to start instead);
 * - `TONGBAN_JWT_PREVIOUS_SECRET`: the key before a rotation, still accepted for verification (never used
 *   to sign) until it is removed — see the README's "Token keys and their rotation".
 */
export interface KeyRing {
  signing: SigningKey;
  /** Public keys accepted: the signing key first, then the previous one (if any). */
  verification: PublicJwk[];
  /** True when the signing key comes from the generated installation key. */
  generated: boolean;
}

/** The signing-secret settings. */
const JWT_SECRET_VARIABLE = 'TONGBAN_JWT_SECRET';
const JWT_PREVIOUS_SECRET_VARIABLE = 'TONGBAN_JWT_PREVIOUS_SECRET';

/**
 * Loads the key ring from the environment, generating the installation key when needed.
 * @throws ConfigError when NODE_ENV=production and TONGBAN_JWT_SECRET is unset, or a configured secret
 *   is shorter than 32 bytes (naming the variable).
 */
export async function loadKeyRing(env: NodeJS.ProcessEnv, pool: pg.Pool): Promise<KeyRing> {
  const configured = env[JWT_SECRET_VARIABLE];
  let signing: SigningKey;
  let generated = false;
  if (configured) {
    signing = fromSecret(configured, JWT_SECRET_VARIABLE);
  } else {
    if (env['NODE_ENV'] === 'production') {
      throw new ConfigError(`${JWT_SECRET_VARIABLE} must be set (at least 32 bytes, e.g. \`openssl rand -base64 48\`) when NODE_ENV=production; the generated installation key is for development only`);
    }
    signing = fromSecret(await installationSecret(pool), 'the installation key');
    generated = true;
  }
  const verification = [signing.publicJwk];
  const previous = env[JWT_PREVIOUS_SECRET_VARIABLE];
  if (previous) {
    const old = fromSecret(previous, JWT_PREVIOUS_SECRET_VARIABLE);
    if (old.kid !== signing.kid) verification.push(old.publicJwk);
  }
  return { signing, verification, generated };
}

function fromSecret(secret: string, variable: string): SigningKey {
  try {
    return signingKeyFromSecret(secret, variable);
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The installation key: the row of `identity_installation_key`, created with a random 32-byte secret
 * when there is none (concurrent first starts agree on one row).
 */
async function installationSecret(pool: pg.Pool): Promise<string> {
  await runMigrations(pool, 'identity', IDENTITY_MIGRATIONS);
  await pool.query('INSERT INTO identity_installation_key (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [generateSecret()]);
  const { rows } = await pool.query<{ secret: string }>('SELECT secret FROM identity_installation_key WHERE id = 1');
  const secret = rows[0]?.secret;
  if (!secret) throw new Error('identity_installation_key has no row');
  return secret;
}
