import { KurrentDbEventStore, systemClock } from '@tongban/eventstore';
import type pg from 'pg';
import { ConfigError } from './config';
import { eventStoreChoice, openEventStore } from './event-store';
import { loadSettings } from './settings';

const KURRENTDB_URL = 'kurrentdb://127.0.0.1:2113?tls=false';

describe('TONGBAN_EVENT_STORE: which event store adapter a process opens', () => {
  it('is PostgreSQL when unset, empty or `postgres`', () => {
    expect(eventStoreChoice('intake', {})).toEqual({ kind: 'postgres' });
    expect(eventStoreChoice('intake', { TONGBAN_EVENT_STORE: '' })).toEqual({ kind: 'postgres' });
    expect(eventStoreChoice('query', { TONGBAN_EVENT_STORE: 'postgres' })).toEqual({ kind: 'postgres' });
  });

  it('is KurrentDB at TONGBAN_KURRENTDB_URL with `kurrentdb`', () => {
    expect(eventStoreChoice('casework', { TONGBAN_EVENT_STORE: 'kurrentdb', TONGBAN_KURRENTDB_URL: KURRENTDB_URL })).toEqual({ kind: 'kurrentdb', url: KURRENTDB_URL });
  });

  it('refuses an unknown adapter, `kurrentdb` without a URL, and `kurrentdb` for the query service (it reads the events table with SQL)', () => {
    expect(() => eventStoreChoice('intake', { TONGBAN_EVENT_STORE: 'mysql' })).toThrow(new ConfigError('TONGBAN_EVENT_STORE="mysql" is not allowed: must be one of postgres, kurrentdb'));
    expect(() => eventStoreChoice('intake', { TONGBAN_EVENT_STORE: 'kurrentdb' })).toThrow(/needs TONGBAN_KURRENTDB_URL/);
    expect(() => eventStoreChoice('query', { TONGBAN_EVENT_STORE: 'kurrentdb', TONGBAN_KURRENTDB_URL: KURRENTDB_URL })).toThrow(/not supported by query/);
  });

  it('is declared in the settings schema: a wrong value or URL stops the process with one line', () => {
    expect(() => loadSettings('relay', { TONGBAN_EVENT_STORE: 'mysql' })).toThrow('TONGBAN_EVENT_STORE="mysql" is not allowed: must be one of postgres, kurrentdb');
    expect(() => loadSettings('relay', { TONGBAN_KURRENTDB_URL: 'http://x:2113' })).toThrow(/TONGBAN_KURRENTDB_URL="http:\/\/x:2113\/?" is not allowed/);
    expect(loadSettings('relay', { TONGBAN_EVENT_STORE: 'kurrentdb', TONGBAN_KURRENTDB_URL: KURRENTDB_URL })).toMatchObject({ TONGBAN_EVENT_STORE: 'kurrentdb' });
  });

  it('opens the KurrentDB adapter on the URL without touching PostgreSQL (the client connects on first use)', async () => {
    const pool = { query: () => { throw new Error('PostgreSQL must not be used'); } } as unknown as pg.Pool;
    const store = await openEventStore({ kind: 'kurrentdb', url: KURRENTDB_URL }, pool, systemClock);
    expect(store).toBeInstanceOf(KurrentDbEventStore);
    await store.close();
  });
});
