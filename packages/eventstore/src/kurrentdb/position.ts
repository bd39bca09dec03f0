/**
 * Position encoding between KurrentDB's log position `{commit, prepare}` (unsigned 64-bit bigints) and
 * the port's {@link GlobalPosition} (decimal strings): `transactionId` = commit position,
 * `position` = prepare position. `$all` is ordered by (commit, prepare), as PostgreSQL's global order is
 * by (transaction_id, global_position), so the pair compares the same way in both adapters.
 */
import type { Position } from '@kurrent/kurrentdb-client';
import type { GlobalPosition } from '../port';

const UINT64_MAX = (1n << 64n) - 1n;

/** `{commit, prepare}` → `{transactionId: "<commit>", position: "<prepare>"}`. */
export function toGlobalPosition(position: Position): GlobalPosition {
  return { transactionId: BigInt(position.commit).toString(10), position: BigInt(position.prepare).toString(10) };
}

/**
 * `{transactionId, position}` → `{commit, prepare}`.
 * @throws RangeError when either part is not a canonical decimal string of an unsigned 64-bit integer
 * (a checkpoint that this adapter cannot have produced).
 */
export function fromGlobalPosition(position: GlobalPosition): Position {
  return {
    commit: parseUint64('transactionId', position.transactionId),
    prepare: parseUint64('position', position.position),
  };
}

/** Orders two log positions as `$all` does: by commit, then prepare. Negative, zero or positive. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function parseUint64(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new RangeError(`GlobalPosition.${field} must be a decimal string, got ${String(value)}`);
  }
  const parsed = BigInt(value);
  if (parsed > UINT64_MAX) throw new RangeError(`GlobalPosition.${field} is out of the 64-bit range: ${value}`);
  return parsed;
}
