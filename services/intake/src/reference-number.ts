import type pg from 'pg';
import { shanghaiDate } from '@tongban/domain';

/** The year of an instant in Asia/Shanghai (references count per local year). */
export function shanghaiYear(instant: Date): number {
  return Number(shanghaiDate(instant.getTime()).slice(0, 4));
}

/**
 * Allocates the next human reference `LS-<year>-<000123>` (year in Asia/Shanghai) from the year's
 * sequence (`intake_next_reference`, migration 003): no row lock shared by all submissions. Numbers
 * are increasing and unique; a gap is left when a submission fails after allocation (as before) or,
 * rarely, after a PostgreSQL crash (a sequence may skip up to 32 values then).
 */
export async function nextReference(db: pg.Pool | pg.PoolClient, instant: Date): Promise<string> {
  const { rows } = await db.query<{ reference: string }>(`SELECT ${REFERENCE_SQL('$1')} AS reference`, [shanghaiYear(instant)]);
  return rows[0]!.reference;
}

/**
 * SQL allocating the next reference of the year in parameter `year` (e.g. `$1`, an int) and formatting
 * it `LS-<year>-<number, at least 6 digits>`, for use inside a larger statement.
 */
export function REFERENCE_SQL(year: string): string {
  return `(SELECT 'LS-' || ${year}::int || '-' || CASE WHEN length(n) >= 6 THEN n ELSE lpad(n, 6, '0') END
    FROM (SELECT intake_next_reference(${year}::int)::text AS n) allocated)`;
}
