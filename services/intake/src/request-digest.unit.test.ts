import { requestDigest } from './request-digest';

// Expected digests computed with the two hashes this helper replaced (submission.ts and client-updates.ts
// before it): stored hashes compare with these, so they must never change.
describe('requestDigest', () => {
  it('is the digest a submission was claimed with', () => {
    const submission = { serviceCode: 'pothole', description: '路面坑洞 near the school', lat: 25.03, long: 121.5, attributes: { size: 'large', depth: 2 }, mediaUrl: undefined };
    expect(requestDigest(submission)).toBe('06154829f948c0f0c564e47f56ab2e3b56841ef17dd57852f0a3be9dcbc6b488');
  });

  it('does not depend on key order', () => {
    const reordered = { attributes: { depth: 2, size: 'large' }, long: 121.5, lat: 25.03, description: '路面坑洞 near the school', serviceCode: 'pothole' };
    expect(requestDigest(reordered)).toBe('06154829f948c0f0c564e47f56ab2e3b56841ef17dd57852f0a3be9dcbc6b488');
  });

  it('is the digest a reporter command and an Open311 text were recorded with', () => {
    expect(requestDigest({ $case: 'addInformation', value: { text: 'The hole is larger now' } })).toBe('15c87c3e813ec38df2e2a6230d20831d62c8a84a200190d17808a8843fe4e69d');
    expect(requestDigest({ text: 'Thanks, fixed' })).toBe('a14d439b5dfa003ecdcca452cdfd0742ff722c0320a4f5d08feceb66d1f186b5');
    expect(requestDigest(null)).toBe('74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b');
  });
});
