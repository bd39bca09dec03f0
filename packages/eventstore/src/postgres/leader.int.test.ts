import { waitFor } from '@tongban/testing';
import { usePostgresPools } from '../testing/pools';
import { AdvisoryLeader, LeadershipLostError } from './leader';

describe('AdvisoryLeader (single active replica) on a real PostgreSQL', () => {
  const pools = usePostgresPools();

  it('lets one replica lead; resign hands the lock to the next', async () => {
    const key = { classId: 0x74657374, object: 'one' };
    const a = new AdvisoryLeader(pools.pool, key);
    const b = new AdvisoryLeader(pools.pool, key);
    expect(await a.tryLead()).toBe(true);
    expect(await a.tryLead()).toBe(true);
    expect(await b.tryLead()).toBe(false);
    expect(b.isLeader).toBe(false);
    await a.resign();
    expect(a.isLeader).toBe(false);
    expect(await b.tryLead()).toBe(true);
    await b.resign();
  });

  it('detects a lost lock session (terminated backend) and lets another replica take over after abdicate', async () => {
    const key = { classId: 0x74657374, object: 2 };
    const a = new AdvisoryLeader(pools.pool, key);
    const b = new AdvisoryLeader(pools.pool, key);
    expect(await a.tryLead()).toBe(true);
    a.assertLeading();
    const { rows } = await a.client!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await pools.admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    // The server released the lock with the session: another replica takes it at once.
    await waitFor(() => b.tryLead(), { description: 'b to take the lock' });
    await waitFor(() => {
      try {
        a.assertLeading();
        return false;
      } catch (err) {
        return err instanceof LeadershipLostError;
      }
    }, { description: 'a to notice its lost session' });
    a.abdicate(new Error('lost'));
    expect(a.isLeader).toBe(false);
    expect(await a.tryLead()).toBe(false);
    await b.resign();
    expect(await a.tryLead()).toBe(true);
    await a.resign();
  });
});
