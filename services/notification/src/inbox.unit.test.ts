import type { EventStore, RecordedEvent } from '@tongban/eventstore';
import { deliverNotices } from './delivery';
import type { NotificationChannel } from './channels';

describe('deliverNotices', () => {
  it('reads nothing and delivers nothing for an event type that never gives a notice', async () => {
    const store = { readStream: () => { throw new Error('the stream should not be read'); } } as unknown as EventStore;
    const delivered: unknown[] = [];
    const channel: NotificationChannel = { name: 'spy', deliver: async (notice) => { delivered.push(notice); } };
    const event = { id: '00000000-0000-4000-8000-000000000001', stream: 'ticket-x', revision: 1, type: 'InternalNoteAdded', data: {} } as unknown as RecordedEvent;
    expect(await deliverNotices([channel], store, event, new Date())).toBe(0);
    expect(delivered).toEqual([]);
  });
});
