import { databaseUrl, DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, natsUrl } from './env';

describe('env', () => {
  const saved = { db: process.env['DATABASE_URL'], nats: process.env['NATS_URL'] };
  afterEach(() => {
    restore('DATABASE_URL', saved.db);
    restore('NATS_URL', saved.nats);
  });

  it('prefers the environment', () => {
    process.env['DATABASE_URL'] = 'postgres://x@db:5432/y';
    process.env['NATS_URL'] = 'nats://n:4222';
    expect(databaseUrl()).toBe('postgres://x@db:5432/y');
    expect(natsUrl()).toBe('nats://n:4222');
  });

  it('falls back to the local defaults when unset or empty', () => {
    delete process.env['DATABASE_URL'];
    process.env['NATS_URL'] = '';
    expect(databaseUrl()).toBe(DEFAULT_DATABASE_URL);
    expect(natsUrl()).toBe(DEFAULT_NATS_URL);
  });
});

function restore(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}
