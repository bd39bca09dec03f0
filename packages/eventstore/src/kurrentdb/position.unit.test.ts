import fc from 'fast-check';
import { comparePositions, fromGlobalPosition, toGlobalPosition } from './position';

const uint64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe('KurrentDB position encoding', () => {
  it('encodes commit as transactionId and prepare as position, in decimal', () => {
    expect(toGlobalPosition({ commit: 18446744073709551615n, prepare: 0n })).toEqual({
      transactionId: '18446744073709551615',
      position: '0',
    });
  });

  it('round-trips every 64-bit pair', () => {
    fc.assert(
      fc.property(uint64, uint64, (commit, prepare) => {
        expect(fromGlobalPosition(toGlobalPosition({ commit, prepare }))).toEqual({ commit, prepare });
      }),
    );
  });

  it.each([
    [{ transactionId: '-1', position: '0' }],
    [{ transactionId: '1', position: '01' }],
    [{ transactionId: '1.5', position: '0' }],
    [{ transactionId: '', position: '0' }],
    [{ transactionId: '1', position: ' 2' }],
    [{ transactionId: '18446744073709551616', position: '0' }],
    [{ transactionId: 1 as unknown as string, position: '0' }],
  ])('rejects a checkpoint it cannot have produced: %j', (bad) => {
    expect(() => fromGlobalPosition(bad)).toThrow(RangeError);
  });

  it('orders positions by commit, then prepare (as $all does)', () => {
    expect(comparePositions({ commit: 1n, prepare: 9n }, { commit: 2n, prepare: 0n })).toBeLessThan(0);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 0n })).toBeGreaterThan(0);
    expect(comparePositions({ commit: 2n, prepare: 1n }, { commit: 2n, prepare: 1n })).toBe(0);
    fc.assert(
      fc.property(uint64, uint64, uint64, uint64, (c1, p1, c2, p2) => {
        const expected = c1 === c2 ? Math.sign(Number(p1 - p2)) : Math.sign(Number(c1 - c2));
        expect(Math.sign(comparePositions({ commit: c1, prepare: p1 }, { commit: c2, prepare: p2 }))).toBe(expected);
      }),
    );
  });
});
