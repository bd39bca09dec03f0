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
