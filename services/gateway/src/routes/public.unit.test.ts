import { translator } from '@tongban/i18n';
import { atomFeed, xmlEscape } from './public';

describe('the public Atom feed (issue 14 item 8)', () => {
  it('escapes XML text and drops the characters XML forbids', () => {
    expect(xmlEscape(`<a href="x">Tom & 'Jerry'</a>\u0001\u0008`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
    expect(xmlEscape('围墙 🧱\n')).toBe('围墙 🧱\n');
  });

  it('renders entries with id, title with the status, link, times, category and the public reply, in the reader\'s language', () => {
    const entry = {
      id: '0193a0b2-7c1e-7d41-9a2b-5e1f0c3d4a5b', reference: 'LS-2026-000001', title: '围墙 <开裂>', serviceCode: 'dangerous-structure', division: '513437100001',
      divisionName: '第一社区', status: 'in_progress', submittedAt: '2026-12-01T02:00:00.000Z', updatedAt: '2026-12-01T03:00:00.000Z', lastPublicReply: '明天处置',
    };
    const xml = atomFeed([entry], { base: 'https://tongban.example.cn', division: '513437', now: '2026-12-02T00:00:00.000Z', t: translator('zh-Hans') });
    expect(xml).toContain('<id>https://tongban.example.cn/public/v1/feed.atom?division=513437</id>');
    expect(xml).toContain('<updated>2026-12-01T03:00:00.000Z</updated>');
    expect(xml).toContain('<id>urn:uuid:0193a0b2-7c1e-7d41-9a2b-5e1f0c3d4a5b</id>');
    expect(xml).toContain('<title>[办理中] 围墙 &lt;开裂&gt;</title>');
    expect(xml).toContain('<link rel="alternate" type="application/json" href="https://tongban.example.cn/open311/v2/requests/0193a0b2-7c1e-7d41-9a2b-5e1f0c3d4a5b.json"/>');
    expect(xml).toContain('最新答复：明天处置');
    const empty = atomFeed([], { base: 'http://127.0.0.1:8080', division: '', now: '2026-12-02T00:00:00.000Z', t: translator('en') });
    expect(empty).toContain('<updated>2026-12-02T00:00:00.000Z</updated>');
    expect(empty).toContain('<title>Liangshan Tongban · public reports</title>');
    expect(empty).not.toContain('<entry>');
  });
});
