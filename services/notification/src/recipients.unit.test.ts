import type { TicketState } from '@tongban/domain';
import type { RecordedEvent } from '@tongban/eventstore';
import { formatDateTime } from '@tongban/i18n';
import { noticesFor } from './recipients';

/**
 * The reporter's notice of the first acceptance carries the resolution due time (3 days, not the 24 h
 * first reply), so its text says the unit will resolve (办结) by then — it said "reply by" (前答复).
 */
const RESOLUTION_DUE = '2026-12-06T00:03:51.095Z';
const state = {
  reference: 'LS-2026-000001', title: '西街30号围墙成危墙', reporter: { deviceId: 'device-1' }, followers: [],
  sla: { firstResponse: { dueAt: '2026-12-04T00:03:51.095Z' }, resolution: { dueAt: RESOLUTION_DUE } },
} as unknown as TicketState;
const accepted = { type: 'TicketAccepted', data: { unitId: 'adm-513437100', firstResponder: true } } as unknown as RecordedEvent;

it.each([
  ['zh-Hans', (due: string) => `锦城镇已受理您反映的问题，将于${due}前办结。`],
  ['en', (due: string) => `锦城镇 has accepted your report and will resolve it by ${due}.`],
] as const)('the acceptance tells the reporter, in %s, the resolution due time as the time to resolve by', (language, body) => {
  const [notice] = noticesFor(accepted, state, { languageOf: () => language, unitName: () => '锦城镇' });
  expect(notice).toMatchObject({ recipient: { kind: 'device', id: 'device-1' }, kind: 'accepted', body: body(formatDateTime(RESOLUTION_DUE, language)) });
});

/**
 * The reporter's withdrawal tells the holding unit and the first responder's unit; its reason is optional
 * (withdraw {reason?}), and without one the text said "撤回原因：" followed by nothing.
 */
describe('the withdrawal notice to the units', () => {
  const held = { ...state, holderUnitId: 'dep-513437-housing-construction', firstResponder: { unitId: 'adm-513437100' } } as unknown as TicketState;
  const withdrawn = (data: Record<string, unknown>) => ({ type: 'TicketWithdrawn', data } as unknown as RecordedEvent);

  it.each([
    ['zh-Hans', '反映人撤回了该问题，工单已关闭，无需继续办理。撤回原因：已自行解决', '反映人撤回了该问题，工单已关闭，无需继续办理。'],
    ['en', 'The reporter withdrew this report; the ticket is closed and needs no further work. Reason: 已自行解决',
      'The reporter withdrew this report; the ticket is closed and needs no further work.'],
  ] as const)('in %s names the reason when there is one, and no reason when there is none', (language, withReason, without) => {
    const options = { languageOf: () => language };
    const given = noticesFor(withdrawn({ reason: '已自行解决' }), held, options);
    expect(given.map((n) => [n.recipient.id, n.kind, n.body])).toEqual([
      ['dep-513437-housing-construction', 'withdrawn', withReason], ['adm-513437100', 'withdrawn', withReason]]);
    for (const data of [{}, { reason: '' }, { reason: '  ' }]) {
      const none = noticesFor(withdrawn(data), held, options);
      expect(none.map((n) => [n.recipient.id, n.kind, n.body])).toEqual([
        ['dep-513437-housing-construction', 'withdrawn', without], ['adm-513437100', 'withdrawn', without]]);
      expect(none[0]!.title).toBe(given[0]!.title);
    }
  });

  it('in Nuosu Yi has a text without a reason too, not the bare "reason:" label', () => {
    const [notice] = noticesFor(withdrawn({}), held, { languageOf: () => 'ii' });
    expect(notice!.body).toBe('ꍯꉘꅍ。');
  });
});
