import { SealError, newDataKey, reporterSecrets, seal, sealPersonalData, unseal, unsealPersonalData } from './reporter-seal';

const TICKET = '0190f3c4-0000-7000-8000-000000000001';
const PERSON = { name: '阿西 木呷', phone: '13800000000', email: 'axi@example.cn', accountId: 'acc-1', onBehalfOf: { name: '西街30号居民', contact: '13900000000' } };

describe('sealing a reporter\'s personal data (issue 14 item 6)', () => {
  it('opens with the same key and ticket, and the ciphertext shows none of the data', () => {
    const key = newDataKey();
    const sealed = sealPersonalData(key, PERSON, TICKET);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9+/]+=*$/);
    for (const value of ['13800000000', 'axi@example.cn', '西街', '木呷']) expect(Buffer.from(sealed.slice(3), 'base64').toString('utf8')).not.toContain(value);
    expect(unsealPersonalData(key, sealed, TICKET)).toEqual(PERSON);
  });

  it('seals the same data differently each time (a random IV)', () => {
    const key = newDataKey();
    expect(seal(key, 'x', TICKET)).not.toBe(seal(key, 'x', TICKET));
  });

  it('does not open with another key (an erased reporter\'s key replaced), for another ticket, or altered', () => {
    const key = newDataKey();
    const sealed = seal(key, 'secret', TICKET);
    expect(() => unseal(newDataKey(), sealed, TICKET)).toThrow(SealError);
    expect(() => unseal(key, sealed, '0190f3c4-0000-7000-8000-000000000002')).toThrow(SealError);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    expect(() => unseal(key, `v1.${raw.toString('base64')}`, TICKET)).toThrow(SealError);
    expect(() => unseal(key, 'plain text', TICKET)).toThrow('not a sealed value');
    expect(() => unseal(key, 'v1.AAAA', TICKET)).toThrow('too short');
  });

  it('derives one wrapping key and one device-hash key per secret, stable and distinct', () => {
    const a = reporterSecrets('s'.repeat(40));
    const b = reporterSecrets('s'.repeat(40));
    const c = reporterSecrets('t'.repeat(40));
    expect(a.wrappingKey.equals(b.wrappingKey)).toBe(true);
    expect(a.wrappingKeyId).toBe(b.wrappingKeyId);
    expect(a.wrappingKey.equals(c.wrappingKey)).toBe(false);
    expect(a.deviceHash('citizen:d1')).toBe(b.deviceHash('citizen:d1'));
    expect(a.deviceHash('citizen:d1')).not.toBe(c.deviceHash('citizen:d1'));
    expect(a.deviceHash('citizen:d1')).not.toBe(a.deviceHash('citizen:d2'));
    expect(a.deviceHash('citizen:d1')).toMatch(/^[0-9a-f]{64}$/);
  });
});
