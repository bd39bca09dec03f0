import { usePostgresPools } from '../testing/pools';
import { withTransaction } from './transaction';

describe('withTransaction on a real PostgreSQL', () => {
  const pools = usePostgresPools();

  it('commits, rolls back on error (rethrowing it), honours rollback() and the isolation level, and releases the client', async () => {
    await pools.pool.query('CREATE TABLE tx_probe (x int)');
    await withTransaction(pools.pool, async (c) => { await c.query('INSERT INTO tx_probe VALUES (1)'); });
    await expect(withTransaction(pools.pool, async (c) => {
      await c.query('INSERT INTO tx_probe VALUES (2)');
      throw new Error('work failed');
    })).rejects.toThrow('work failed');
    const skipped = await withTransaction(pools.pool, async (c, tx) => {
      await c.query('INSERT INTO tx_probe VALUES (3)');
      tx.rollback();
      return 'skipped';
    });
    expect(skipped).toBe('skipped');
    const level = await withTransaction(pools.pool, async (c) => (await c.query<{ transaction_isolation: string }>('SHOW transaction_isolation')).rows[0]!.transaction_isolation, { isolation: 'serializable', readOnly: true });
    expect(level).toBe('serializable');
    await expect(withTransaction(pools.pool, (c) => c.query('INSERT INTO tx_probe VALUES (4)'), { readOnly: true })).rejects.toThrow(/read-only/);
    expect((await pools.pool.query<{ x: number }>('SELECT x FROM tx_probe ORDER BY x')).rows).toEqual([{ x: 1 }]);
    expect(pools.pool.totalCount - pools.pool.idleCount).toBe(0);
  });

  it('survives the connection being terminated mid-transaction: the error reaches the caller, the broken client leaves the pool', async () => {
    const attempt = withTransaction(pools.pool, async (c) => {
      const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await pools.admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await c.query('SELECT pg_sleep(0.1)');
    });
    await expect(attempt).rejects.toThrow();
    expect(pools.pool.totalCount - pools.pool.idleCount).toBe(0);
    expect((await pools.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});
