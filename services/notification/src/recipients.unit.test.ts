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

/**
 * A callback (回访) by text message or in the app asks the reporter to confirm the result and rate it: the notice
 * kind `callback-requested` (documented, with texts and SMS parameters) was given for no event before.
 */
describe('the callback request to the reporter', () => {
  const resolved = { ...state, followers: ['device-2'] } as unknown as TicketState;
  const callback = (data: Record<string, unknown>) => ({ type: 'CallbackRecorded', data } as unknown as RecordedEvent);

  it.each(['sms', 'app'])('is sent for an attempt by %s that has not reached the reporter, to the reporter alone', (channel) => {
    const notices = noticesFor(callback({ reached: false, channel, attempt: 1 }), resolved);
    expect(notices.map((n) => [n.recipient, n.kind, n.title, n.body])).toEqual([[{ kind: 'device', id: 'device-1' }, 'callback-requested',
      'LS-2026-000001 办理结果回访', '请确认您反映问题的办理结果，并按 1 至 5 分评价。']]);
    // proto3 leaves `reached: false` out of the data
    expect(noticesFor(callback({ channel, attempt: 2 }), resolved).map((n) => n.kind)).toEqual(['callback-requested']);
  });

  it('is not sent when the reporter already rated this resolution (the rating would be refused), but is after a new resolution', () => {
    const rated = { ...resolved, resolvedAt: '2026-12-04T02:00:00.000Z', rating: { score: 4, comment: '', at: '2026-12-05T02:00:00.000Z' } } as unknown as TicketState;
    expect(noticesFor(callback({ reached: false, channel: 'sms' }), rated)).toEqual([]);
    const resolvedAgain = { ...rated, resolvedAt: '2026-12-20T02:00:00.000Z' } as unknown as TicketState;
    expect(noticesFor(callback({ reached: false, channel: 'sms' }), resolvedAgain).map((n) => n.kind)).toEqual(['callback-requested']);
  });

  it('is not sent once the reporter was reached, nor for a phone call or a visit (the officer asks in person)', () => {
    expect(noticesFor(callback({ reached: true, channel: 'sms', rating: 'satisfied' }), resolved)).toEqual([]);
    for (const channel of ['phone', 'visit']) expect(noticesFor(callback({ reached: false, channel }), resolved)).toEqual([]);
  });
});
