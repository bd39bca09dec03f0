import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WORKFLOW_SETTINGS, SlaConfigError, slaPolicyFor } from '@tongban/domain';
import { loadReferenceData } from '@tongban/reference-data';
import { ConfigError, loadConfig } from './config';
import { loadSlaConfig } from './service-host';

describe('configuration', () => {
  it('TONGBAN_MAX_EXTENSION_HOURS: the default cap unless set; a non-positive or non-numeric value is refused', () => {
    expect(loadConfig({}).maxExtensionHours).toBe(DEFAULT_WORKFLOW_SETTINGS.maxExtensionHours);
    expect(loadConfig({ TONGBAN_MAX_EXTENSION_HOURS: '240' }).maxExtensionHours).toBe(240);
    for (const bad of ['0', '-1', 'ten']) expect(() => loadConfig({ TONGBAN_MAX_EXTENSION_HOURS: bad })).toThrow(ConfigError);
  });

  it('TONGBAN_SLA_CONFIG: a valid file is used for new tickets; an invalid one is refused at start', () => {
    expect(loadConfig({}).slaConfigPath).toBeUndefined();
    const ref = loadReferenceData();
    const dir = mkdtempSync(join(tmpdir(), 'tongban-sla-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ calendarByServiceCode: { sanitation: 'cn-working-hours' }, policyByServiceCode: { sanitation: { resolutionHours: 48 } } }));
    expect(loadConfig({ TONGBAN_SLA_CONFIG: good }).slaConfigPath).toBe(good);
    const config = loadSlaConfig(good, ref);
    expect(slaPolicyFor(ref.catalogue.slaPolicy, config, { serviceCode: 'sanitation' })).toMatchObject({ calendar: 'cn-working-hours', resolutionHours: 48 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ defaultCalendar: 'mars-time' }));
    expect(() => loadSlaConfig(bad, ref)).toThrow(SlaConfigError);
    expect(() => loadSlaConfig(join(dir, 'missing.json'), ref)).toThrow(/TONGBAN_SLA_CONFIG/);
  });
});
