import { loadReferenceData } from '@tongban/reference-data';
import { Open311Error } from './errors';
import { Open311Params } from './params';
import { readSubmission, reporterName, titleOf } from './submission';

const ref = loadReferenceData();

function form(fields: Record<string, string | string[]>): Open311Params {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) p.append(k, one);
  return Open311Params.parse(p.toString());
}

function errorsOf(fields: Record<string, string | string[]>, lang: 'en' | 'zh' = 'en'): { status: number; descriptions: string[] } {
  try {
    readSubmission(form(fields), ref, lang);
  } catch (err) {
    if (err instanceof Open311Error) return { status: err.status, descriptions: err.errors.map((e) => e.description) };
    throw err;
  }
  throw new Error('no error');
}

const base = { service_code: 'sanitation', address_id: '513437100001', description: '垃圾堆在路边' };

describe('POST requests input', () => {
  it('reads a complete request', () => {
    const s = readSubmission(form({
      ...base, lat: '28.26', long: '103.57', address_string: '锦城镇西街', 'attribute[waste_kind][]': ['household', 'sewage'],
      device_id: 'dev-1', account_id: 'acc-1', first_name: '阿', last_name: '吉', email: 'a@example.org', phone: '13800000000', media_url: 'https://example.org/p.jpg',
    }), ref, 'zh');
    expect(s).toEqual({
      serviceCode: 'sanitation', division: '513437100001', title: '垃圾堆在路边', description: '垃圾堆在路边', address: '锦城镇西街', lat: 28.26, long: 103.57, coordinateSystem: 'WGS-84',
      attributes: { waste_kind: 'household,sewage' }, mediaUrl: 'https://example.org/p.jpg', reporterName: '吉阿', reporterPhone: '13800000000',
      reporterEmail: 'a@example.org', accountId: 'acc-1', deviceId: 'dev-1',
    });
  });

  it('refuses a single-valued parameter given twice, naming it (which one was meant is unknown), and takes an empty repeat as absent', () => {
    expect(errorsOf({ ...base, lat: ['27.89', '28.26'], long: '102.26' })).toEqual({ status: 400, descriptions: ['lat is given 2 times; give it once'] });
    expect(errorsOf({ ...base, service_code: ['sanitation', 'water-supply'], description: ['a', 'b'] }).descriptions)
      .toEqual(['service_code is given 2 times; give it once', 'description is given 2 times; give it once']);
    expect(readSubmission(form({ ...base, lat: ['', '28.26'], long: '103.57' }), ref, 'zh').lat).toBe(28.26);
  });

  it('accepts FixMyStreet\'s deviceid spelling', () => {
    expect(readSubmission(form({ ...base, deviceid: 'fms-device' }), ref, 'zh').deviceId).toBe('fms-device');
    // both spellings: the same value is one device; different values are refused (which one is meant is unknown)
    expect(readSubmission(form({ ...base, device_id: 'd-1', deviceid: 'd-1' }), ref, 'zh').deviceId).toBe('d-1');
    expect(errorsOf({ ...base, device_id: 'd-1', deviceid: 'd-2' })).toEqual({ status: 400, descriptions: ['device_id and deviceid are both given, with different values; give one'] });
  });

  it('answers 404 for an unknown service_code', () => {
    expect(errorsOf({ ...base, service_code: 'potholes' })).toEqual({ status: 404, descriptions: ['service_code potholes was not found'] });
  });

  it('reports every problem at once', () => {
    const { status, descriptions } = errorsOf({ description: '<b>x</b>', lat: '91', long: 'east', media_url: 'ftp://x' });
    expect(status).toBe(400);
    expect(descriptions).toEqual([
      'service_code is required',
      'lat must be a number from -90 to 90 (WGS84), not 91',
      'long must be a number from -180 to 180 (WGS84), not east',
      'description must not contain HTML or code',
      'media_url must be an http or https URL',
    ]);
  });

  it('requires a location', () => {
    expect(errorsOf({ service_code: 'sanitation', description: 'x' }).descriptions).toEqual(['a location is required: lat and long, address_string or address_id']);
    expect(errorsOf({ service_code: 'sanitation', description: 'x', lat: '28' }).descriptions).toContain('lat and long must be given together');
  });

  it('enforces required attributes and checks values', () => {
    const code = { ...base, service_code: 'dangerous-structure' };
    expect(errorsOf(code).descriptions).toEqual(['attribute[at_risk] is required (Is anyone at risk right now (under or near the structure)?)']);
    expect(errorsOf({ ...code, 'attribute[at_risk]': 'maybe' }).descriptions[0]).toMatch(/^attribute\[at_risk\]: maybe is not one of its values/);
    expect(errorsOf({ ...code, 'attribute[at_risk]': 'yes', 'attribute[colour]': 'red' }).descriptions).toEqual(['attribute[colour] is not an attribute of dangerous-structure']);
    expect(readSubmission(form({ ...code, 'attribute[at_risk]': 'yes' }), ref, 'zh').attributes).toEqual({ at_risk: 'yes' });
  });

  describe('the division', () => {
    it('comes from attribute[division]', () => {
      const s = readSubmission(form({ service_code: 'sanitation', lat: '28.26', long: '103.57', 'attribute[division]': '513437100' }), ref, 'zh');
      expect(s.division).toBe('513437100');
      expect(s.attributes).toEqual({ division: '513437100' });
    });

    it('comes from address_id, a division code down to the village', () => {
      expect(readSubmission(form(base), ref, 'zh').division).toBe('513437100001');
      expect(errorsOf({ ...base, address_id: '99' }).descriptions[0]).toMatch(/^address_id 99 is not a division code/);
    });

    it('keeps the more precise of the two when they agree and refuses them when they do not', () => {
      expect(readSubmission(form({ ...base, 'attribute[division]': '513437100' }), ref, 'zh').division).toBe('513437100001');
      expect(errorsOf({ ...base, 'attribute[division]': '513401001' }).descriptions).toEqual(['attribute[division] 513401001 and address_id 513437100001 name different places']);
    });

    it('is left to intake to derive when only lat/long or an address text locates the report', () => {
      expect(readSubmission(form({ service_code: 'sanitation', description: 'x', lat: '28.2663', long: '103.5698' }), ref, 'zh'))
        .toMatchObject({ division: '', lat: 28.2663, long: 103.5698, coordinateSystem: 'WGS-84' });
      expect(readSubmission(form({ service_code: 'sanitation', description: 'x', address_string: '锦城镇西街30号' }), ref, 'zh'))
        .toMatchObject({ division: '', address: '锦城镇西街30号' });
      expect(readSubmission(form({ service_code: 'sanitation', description: 'x', lat: '28.27', long: '103.57', coordinate_system: 'GCJ-02' }), ref, 'zh'))
        .toMatchObject({ coordinateSystem: 'GCJ-02' });
    });

    it('refuses a point outside Liangshan, naming lat/long, in the language asked for', () => {
      expect(errorsOf({ service_code: 'sanitation', description: 'x', lat: '30.5723', long: '104.0665' }, 'zh')).toEqual({
        status: 400, descriptions: ['lat/long 30.5723, 104.0665（WGS-84）不在凉山州范围内：本平台受理凉山彝族自治州17个县（市）的问题'],
      });
      expect(errorsOf({ service_code: 'sanitation', description: 'x', lat: '30.5723', long: '104.0665' }).descriptions)
        .toEqual(['lat/long 30.5723, 104.0665 (WGS-84) is outside Liangshan: this jurisdiction covers the 17 counties of Liangshan Yi Autonomous Prefecture']);
    });

    it('refuses an unknown coordinate_system', () => {
      expect(errorsOf({ service_code: 'sanitation', description: 'x', lat: '28.26', long: '103.57', coordinate_system: 'BD-09' }, 'zh').descriptions)
        .toEqual(['coordinate_system 只能是 WGS-84 或 GCJ-02，不能是 BD-09']);
    });
  });

  describe('the description', () => {
    it('takes 4000 Chinese characters and refuses 4001, counting characters, not bytes or UTF-16 units', () => {
      expect(readSubmission(form({ ...base, description: '危'.repeat(4000) }), ref, 'zh').description).toHaveLength(4000);
      expect(errorsOf({ ...base, description: '危'.repeat(4001) }).descriptions).toEqual(['description is 4001 characters long; at most 4000 are allowed']);
      expect(readSubmission(form({ ...base, description: '😀'.repeat(4000) }), ref, 'zh').description).toHaveLength(8000);
    });

    it('keeps text exactly as sent and refuses control characters', () => {
      const text = '西街 ꆈꌠ 😀 e\u0301 温度<5度\n第二行';
      expect(readSubmission(form({ ...base, description: text }), ref, 'zh').description).toBe(text);
      expect(errorsOf({ ...base, description: 'a\u0007b' }).descriptions).toEqual(['description contains control characters']);
    });

    it('is the service name when none is given', () => {
      const s = readSubmission(form({ service_code: 'sanitation', address_id: '513437100001' }), ref, 'en');
      expect([s.title, s.description]).toEqual(['环境卫生与垃圾处理', '环境卫生与垃圾处理']);
    });
  });

  it('derives a title from the first line without cutting a character apart', () => {
    expect(titleOf('\n  第一行\n第二行', 'x')).toBe('第一行');
    // a first line of invisible characters only is skipped, as a blank one is (the domain refuses a blank title)
    expect(titleOf('\u200b\n路灯不亮了', 'x')).toBe('路灯不亮了');
    expect(titleOf('\u200e\u3000\r\n\u2800\n路灯', 'x')).toBe('路灯');
    expect(titleOf('\u200b\ufeff', '路灯维修')).toBe('路灯维修');
    const invisible = readSubmission(form({ ...base, description: '\u200b\u3000' }), ref, 'zh');
    expect(invisible.description).toBe(readSubmission(form({ ...base, description: '' }), ref, 'zh').description); // the service's name
    expect(invisible.title).toBe(invisible.description);
    const family = '👩‍👩‍👧';
    const title = titleOf(family.repeat(60), 'x');
    // 5 code points each: 39 fit in the 200 code points of a title (with the ellipsis), 50 would not.
    expect(title).toBe(`${family.repeat(39)}…`);
    expect(titleOf('e\u0301'.repeat(60), 'x')).toBe(`${'e\u0301'.repeat(50)}…`);
  });

  it('writes Chinese and Yi names family name first', () => {
    expect(reporterName('三', '张')).toBe('张三');
    expect(reporterName('John', 'Smith')).toBe('John Smith');
    expect(reporterName('', 'Smith')).toBe('Smith');
  });
});
