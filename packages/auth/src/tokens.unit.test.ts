import { CachedVerificationKeys, signingKeyFromSecret, staticKeys } from './keys';
import { UnauthenticatedError, signToken, verifyToken, verifyTokenSubject } from './tokens';

const SECRET = 'unit-test-signing-secret-0123456789-abcdef';
const citizen = { kind: 'citizen' as const, id: 'device-remembered' };

describe('verified tokens remembered per key set', () => {
  it('answers a repeated token without asking the key set for a signature key again, and gives each caller its own object', async () => {
    const key = signingKeyFromSecret(SECRET);
    const keys = staticKeys([key.publicJwk]);
    let lookups = 0;
    const counting = { key: async (kid: string) => { lookups += 1; return keys.key(kid); } };
    const token = await signToken(citizen, key, new Date());
    const first = await verifyToken(token, counting);
    const second = await verifyToken(token, counting);
    expect(first).toEqual(citizen);
    expect(second).toEqual(citizen);
    expect(second).not.toBe(first);
    (second as { id: string }).id = 'changed by a caller';
    await expect(verifyToken(token, counting)).resolves.toEqual(citizen);
    // One lookup for the verification, then one per remembered answer (is the key still the same?).
    expect(lookups).toBe(3);
  });

  it('refuses a remembered token once it has expired', async () => {
    const key = signingKeyFromSecret(SECRET);
    const keys = staticKeys([key.publicJwk]);
    const token = await signToken(citizen, key, new Date(), 1);
    await expect(verifyToken(token, keys)).resolves.toEqual(citizen);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(verifyToken(token, keys)).rejects.toThrow('token expired');
  });

  it('refuses a remembered token once its key is retired from the set', async () => {
    const retired = signingKeyFromSecret(`${SECRET}-retired`);
    const current = signingKeyFromSecret(SECRET);
    let now = 1_000_000;
    let served = [current.publicJwk, retired.publicJwk];
    const keys = new CachedVerificationKeys(async () => served, { maxAgeMs: 60_000, minRefreshMs: 1000, now: () => now });
    const token = await signToken(citizen, retired, new Date());
    await expect(verifyToken(token, keys)).resolves.toEqual(citizen);
    await expect(verifyToken(token, keys)).resolves.toEqual(citizen);
    served = [current.publicJwk];
    now += 61_000; // the set is refreshed without the retired key
    await expect(verifyToken(token, keys)).rejects.toThrow(/unknown signing key/);
  });

  it('still tells a key set that cannot be fetched (not a 401) for a token it remembered', async () => {
    const key = signingKeyFromSecret(SECRET);
    let failing = false;
    const unreachable = new Error('identity unreachable');
    const keys = { key: async (kid: string) => { if (failing) throw unreachable; return kid === key.kid ? staticKeys([key.publicJwk]).key(kid) : undefined; } };
    const token = await signToken(citizen, key, new Date());
    await expect(verifyTokenSubject(token, keys)).resolves.toEqual(citizen);
    failing = true;
    await expect(verifyTokenSubject(token, keys)).rejects.toBe(unreachable);
  });

  it('does not take a tampered copy of a remembered token for it', async () => {
    const key = signingKeyFromSecret(SECRET);
    const keys = staticKeys([key.publicJwk]);
    const token = await signToken(citizen, key, new Date());
    await verifyToken(token, keys);
    const [h, p, sig] = token.split('.');
    const flipped = `${h}.${p}.${sig!.slice(0, -2)}${sig!.endsWith('AA') ? 'AB' : 'AA'}`;
    await expect(verifyToken(flipped, keys)).rejects.toThrow(UnauthenticatedError);
  });
});
