import { CachedVerificationKeys, SigningSecretError, signingKeyFromSecret, staticKeys } from './keys';
import { UnauthenticatedError, signToken, verifyToken } from './tokens';

const SECRET = 'unit-test-signing-secret-0123456789-abcdef';
const citizen = { kind: 'citizen' as const, id: 'device-1' };

describe('signing keys', () => {
  it('derives the same Ed25519 key and kid from the same secret, another from another', () => {
    const a = signingKeyFromSecret(SECRET);
    const b = signingKeyFromSecret(SECRET);
    expect(a.kid).toBe(b.kid);
    expect(a.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: a.kid, alg: 'EdDSA', use: 'sig' });
    expect(signingKeyFromSecret(`${SECRET}-other`).kid).not.toBe(a.kid);
  });

  it('refuses a secret shorter than 32 bytes, naming the variable', () => {
    expect(() => signingKeyFromSecret('too-short')).toThrow(SigningSecretError);
    expect(() => signingKeyFromSecret('x'.repeat(31), 'TONGBAN_JWT_PREVIOUS_SECRET')).toThrow(/TONGBAN_JWT_PREVIOUS_SECRET must be at least 32 bytes/);
    expect(signingKeyFromSecret('x'.repeat(32)).kid).toBeTruthy();
  });

  it('signs EdDSA tokens with a kid that verify with the public key only', async () => {
    const key = signingKeyFromSecret(SECRET);
    const token = await signToken(citizen, key, new Date());
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: key.kid });
    await expect(verifyToken(token, staticKeys([key.publicJwk]))).resolves.toEqual(citizen);
  });

  it('refuses a token of a key not accepted, an HS256 token and a tampered one', async () => {
    const key = signingKeyFromSecret(SECRET);
    const other = signingKeyFromSecret(`${SECRET}-other`);
    const keys = staticKeys([key.publicJwk]);
    await expect(verifyToken(await signToken(citizen, other, new Date()), keys)).rejects.toThrow(/unknown signing key/);
    const { SignJWT } = await import('jose');
    const hs = await new SignJWT({ kind: 'citizen' }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).setSubject('x').setIssuer('tongban')
      .setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    await expect(verifyToken(hs, keys)).rejects.toThrow(UnauthenticatedError);
    const token = await signToken(citizen, key, new Date());
    const [h, , sig] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ kind: 'staff', sub: 'x', role: 'auditor', unitId: 'u', division: '5134', iss: 'tongban', iat: 1, exp: 4e9 })).toString('base64url')}.${sig}`;
    await expect(verifyToken(forged, keys)).rejects.toThrow(UnauthenticatedError);
  });

  it('accepts both keys during a rollover', async () => {
    const current = signingKeyFromSecret(SECRET);
    const previous = signingKeyFromSecret(`${SECRET}-previous`);
    const keys = staticKeys([current.publicJwk, previous.publicJwk]);
    await expect(verifyToken(await signToken(citizen, previous, new Date()), keys)).resolves.toEqual(citizen);
    await expect(verifyToken(await signToken(citizen, current, new Date()), keys)).resolves.toEqual(citizen);
  });
});

describe('CachedVerificationKeys', () => {
  it('fetches once, refetches for an unknown kid at most once per interval, and keeps answering from the cache when the fetch fails', async () => {
    const a = signingKeyFromSecret(SECRET);
    const b = signingKeyFromSecret(`${SECRET}-b`);
    let now = 1_000_000;
    let served = [a.publicJwk];
    let failing = false;
    const fetch = jest.fn(async () => {
      if (failing) throw new Error('identity unreachable');
      return served;
    });
    const keys = new CachedVerificationKeys(fetch, { minRefreshMs: 1000, maxAgeMs: 60_000, now: () => now });
    expect(await keys.key(a.kid)).toBeDefined();
    expect(await keys.key(a.kid)).toBeDefined();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(await keys.key(b.kid)).toBeUndefined(); // within the interval: no refetch
    expect(fetch).toHaveBeenCalledTimes(1);
    now += 1001;
    served = [b.publicJwk, a.publicJwk];
    expect(await keys.key(b.kid)).toBeDefined(); // a new key is picked up at once
    expect(fetch).toHaveBeenCalledTimes(2);
    failing = true;
    now += 120_000; // stale, but the cached key still answers while identity is away
    expect(await keys.key(a.kid)).toBeDefined();
    const fresh = new CachedVerificationKeys(fetch, { now: () => now });
    await expect(fresh.key(a.kid)).rejects.toThrow('identity unreachable');
  });
});
