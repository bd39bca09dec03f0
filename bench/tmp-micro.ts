import { loadReferenceData } from '@tongban/reference-data';
import { StatsTable } from '../services/query/src/stats/table';
const ref = loadReferenceData();
const t = new StatsTable();
const H = 3600000, T0 = Date.parse('2025-03-01T00:00:00Z');
const units = ref.units.map((u) => u.id);
const divs = ref.divisions.all().map((d) => d.code);
let seed = 1; const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
for (let i = 0; i < 1_000_000; i++) {
  const s = T0 + rnd() * 365 * 24 * H;
  t.upsert({ ticketId: 't' + i, revision: 1, division: divs[Math.floor(rnd() * divs.length)]!, serviceCode: 'svc' + Math.floor(rnd() * 13), accountableUnitId: units[Math.floor(rnd() * units.length)]!, handlerId: 'h' + Math.floor(rnd() * 500), status: rnd() < 0.95 ? 'closed' : 'in_progress', submittedMs: s, firstResponseDueMs: s + 24 * H, firstRepliedMs: s + rnd() * 30 * H, resolutionDueMs: s + 72 * H, resolutionPaused: false, resolvedMs: s + rnd() * 90 * H, closedMs: s + 100 * H, rating: Math.floor(rnd() * 6) });
}
const now = T0 + 366 * 24 * H;
for (const groupBy of ['none', 'unit', 'none', 'unit'] as const) {
  const t0 = performance.now(); t.compute({ division: '', groupBy, nowMs: now }, ref); console.log(groupBy, (performance.now() - t0).toFixed(1));
}
const t1 = performance.now(); t.compute({ division: '513437100', groupBy: 'none', nowMs: now }, ref); console.log('township', (performance.now() - t1).toFixed(1));
