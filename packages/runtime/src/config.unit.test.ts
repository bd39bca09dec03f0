import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_WORKFLOW_SETTINGS, SlaConfigError, slaPolicyFor } from '@tongban/domain';
import { loadReferenceData } from '@tongban/reference-data';
import { ConfigError, loadConfig } from './config';
import { loadSlaConfig, withPolicySet } from './service-host';

describe('configuration', () => {
  it('TONGBAN_POLL_MS and TONGBAN_AUTO_CLOSE_DAYS: a non-numeric value stops the process naming it (issue 12)', () => {
    expect(loadConfig({})).toMatchObject({ pollMs: 1000, autoCloseDays: 7 });
    expect(() => loadConfig({ TONGBAN_POLL_MS: 'abc' })).toThrow('TONGBAN_POLL_MS must be a positive number (got "abc")');
    expect(() => loadConfig({ TONGBAN_AUTO_CLOSE_DAYS: '7d' })).toThrow(ConfigError);
  });

  it('TONGBAN_MAX_EXTENSION_HOURS: the default cap unless set; a non-positive or non-numeric value is refused', () => {
    expect(loadConfig({}).maxExtensionHours).toBe(DEFAULT_WORKFLOW_SETTINGS.maxExtensionHours);
    expect(loadConfig({ TONGBAN_MAX_EXTENSION_HOURS: '240' }).maxExtensionHours).toBe(240);
    for (const bad of ['0', '-1', 'ten']) expect(() => loadConfig({ TONGBAN_MAX_EXTENSION_HOURS: bad })).toThrow(ConfigError);
  });

  it('callback and rectification settings (issue 14 item 4): defaults 3, 3, 15; a non-positive value is refused', () => {
    expect(loadConfig({})).toMatchObject({ callbackDueWorkingDays: 3, callbackMaxAttempts: 3, rectificationWorkingDays: 15 });
    expect(loadConfig({ TONGBAN_CALLBACK_DUE_DAYS: '5', TONGBAN_RECTIFICATION_DAYS: '10' })).toMatchObject({ callbackDueWorkingDays: 5, rectificationWorkingDays: 10 });
    expect(() => loadConfig({ TONGBAN_CALLBACK_MAX_ATTEMPTS: '0' })).toThrow(ConfigError);
  });

  it('TONGBAN_CALLBACK_BY (issue 14 item 4): first-responder by default, hotline when set; anything else is refused', () => {
    expect(loadConfig({}).callbackBy).toBe('first-responder');
    expect(loadConfig({ TONGBAN_CALLBACK_BY: 'hotline' }).callbackBy).toBe('hotline');
    expect(() => loadConfig({ TONGBAN_CALLBACK_BY: 'call-centre' })).toThrow(/TONGBAN_CALLBACK_BY must be one of first-responder, hotline/);
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

  it('TONGBAN_SLA_POLICY_SET selects a shipped policy set for new tickets; an unknown one is refused at start (issue 14 item 1)', () => {
    const ref = loadReferenceData();
    expect(loadConfig({ TONGBAN_SLA_POLICY_SET: 'sichuan' }).slaPolicySet).toBe('sichuan');
    const sichuan = withPolicySet({}, 'sichuan');
    expect(slaPolicyFor(ref.catalogue.slaPolicy, sichuan, { serviceCode: 'sanitation', requestType: 'complaint' }))
      .toMatchObject({ policySet: 'sichuan', resolutionHours: 360, calendar: 'cn-working-days' });
    expect(withPolicySet({ policySet: 'sichuan' }, undefined)).toEqual({ policySet: 'sichuan' });
    expect(() => withPolicySet({}, 'beijing')).toThrow(SlaConfigError);
  });
});
