/**
 * Submissions located by lat/long and address text instead of a division code, against a real
 * PostgreSQL: the derived division and how it was derived are recorded in TicketSubmitted; a point
 * outside Liangshan, a bad coordinate_system or nothing to place the report by is refused with a reason.
 */
import type { Principal } from '@tongban/auth';
import { intake } from '@tongban/contracts';
import { loadReferenceData, toGcj02 } from '@tongban/reference-data';
import { ServiceFailure, systemClock } from '@tongban/runtime';
import { submitTicket } from './submission';
import { useIntakeDatabase } from './testing/database';

const ref = loadReferenceData();
const CLIENT: Principal = { kind: 'open311', id: 'fixmystreet', deviceId: 'device-1' };
const clock = systemClock;
/** The seat of 雷波县 (锦城镇), WGS-84 [long, lat]. */
const LEIBO: [number, number] = [103.5698, 28.2663];

const db = useIntakeDatabase({ ref, clock, max: 4 });

async function submitted(ticket: Partial<intake.SubmitTicketRequest['ticket'] & object>): Promise<Record<string, unknown>> {
  const res = await submitTicket({ pool: db.pool, executor: db.executor, reporters: db.reporters, ref, clock }, intake.SubmitTicketRequest.fromPartial({
    ticket: { serviceCode: 'sanitation', title: '垃圾', description: '路边堆满垃圾', ...ticket },
  }), CLIENT);
  const [event] = await db.store.readStream(`ticket-${res.ticketId}`);
  expect(event?.type).toBe('TicketSubmitted');
  return event!.data;
}

async function refused(ticket: Partial<intake.SubmitTicketRequest['ticket'] & object>): Promise<ServiceFailure> {
  try {
    await submitted(ticket);
  } catch (err) {
    if (err instanceof ServiceFailure) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

it('places a report with only lat/long in its county and records how (polygon)', async () => {
  const data = await submitted({ lat: LEIBO[1], long: LEIBO[0] });
  expect(data).toMatchObject({ division: '513437', lat: LEIBO[1], long: LEIBO[0], divisionDerivation: { source: 'polygon', county: '513437', matchedName: '', coordinateSystem: 'WGS-84' } });
});

it('narrows to the township named in address_string (锦城镇 in 雷波县)', async () => {
  const data = await submitted({ lat: LEIBO[1], long: LEIBO[0], address: '雷波县锦城镇西街30号' });
  expect(data).toMatchObject({ division: '513437100', divisionDerivation: { source: 'address', county: '513437', matchedName: '锦城镇' } });
});

it('converts GCJ-02 to WGS-84 before placing and recording the point', async () => {
  const [long, lat] = toGcj02(LEIBO);
  const data = await submitted({ lat, long, coordinateSystem: 'GCJ-02' });
  expect(data).toMatchObject({ division: '513437', divisionDerivation: { source: 'polygon', coordinateSystem: 'GCJ-02' } });
  expect(Math.abs((data['lat'] as number) - LEIBO[1])).toBeLessThan(1e-5);
  expect(Math.abs((data['long'] as number) - LEIBO[0])).toBeLessThan(1e-5);
});

it('keeps a given division and says so', async () => {
  expect(await submitted({ division: '513437100001', lat: LEIBO[1], long: LEIBO[0] }))
    .toMatchObject({ division: '513437100001', divisionDerivation: { source: 'given', county: '', coordinateSystem: 'WGS-84' } });
});

it('refuses a point outside Liangshan, an unknown coordinate_system and a report with nothing to place it by', async () => {
  expect(await refused({ lat: 30.5723, long: 104.0665 })).toMatchObject({ reason: 'location_outside_jurisdiction' });
  expect(await refused({ lat: LEIBO[1], long: LEIBO[0], coordinateSystem: 'BD-09' })).toMatchObject({ reason: 'invalid_coordinate_system' });
  expect(await refused({ address: '路边' })).toMatchObject({ reason: 'division_not_derivable' });
});
