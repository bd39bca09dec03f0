import type pg from 'pg';

/** The year of an instant in Asia/Shanghai (references count per local year). */
export function shanghaiYear(instant: Date): number {
  return Number(new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', year: 'numeric' }).format(instant));
}

/**
 * Allocates the next human reference `LS-<year>-<000123>` (year in Asia/Shanghai), gapless per year
 * unless a submission fails after allocation.
 */
export async function nextReference(db: pg.Pool | pg.PoolClient, instant: Date): Promise<string> {
  const year = shanghaiYear(instant);
  const { rows } = await db.query<{ last_value: string }>(
    `INSERT INTO intake_reference_counters (year, last_value) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last_value = intake_reference_counters.last_value + 1
     RETURNING last_value`,
    [year],
  );
  return `LS-${year}-${String(rows[0]?.last_value ?? 0).padStart(6, '0')}`;
}
