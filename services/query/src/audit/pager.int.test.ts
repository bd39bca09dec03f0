/**
 * CandidatePager: the pages one ahead are the pages candidateTicketStreams gives, in order, each once; an
 * `after` other than the one read ahead gets its own query; a failure of the query read ahead is thrown by
 * the call that asks for that page, never lost or unhandled. Real PostgreSQL.
 */
import { newTestEvent, newTicketStream } from '@tongban/eventstore/testing';
import { type QueryTestDb, createQueryTestDb } from '../testing/test-db';
import { CandidatePager, type CandidatePage, candidateTicketStreams } from './evidence';
import type { Db } from './streams';

let t: QueryTestDb;
beforeAll(async () => {
  t = await createQueryTestDb();
  for (let i = 0; i < 11; i++) await t.store.append(newTicketStream(), [newTestEvent('TicketReplied', { message: `m${i}` })], 'no_stream');
});
afterAll(async () => { await t?.dispose(); });

async function allPages(next: (after?: string) => Promise<CandidatePage>): Promise<CandidatePage[]> {
  const pages: CandidatePage[] = [];
  for (let after: string | undefined; ;) {
    const page = await next(after);
    pages.push(page);
    if (!page.next) return pages;
    after = page.next;
  }
}

it('gives the pages candidateTicketStreams gives, in order, one query per page', async () => {
  const queries: string[] = [];
  const counting = { query: (text: string, values?: unknown[]) => { queries.push(String(values?.[0])); return t.pool.query(text, values); } } as unknown as Db;
  const pager = new CandidatePager(counting, { limit: 4 });
  const pages = await allPages((after) => pager.page(after));
  expect(pages).toEqual(await allPages((after) => candidateTicketStreams(t.pool, { limit: 4, ...(after ? { after } : {}) })));
  expect(pages.length).toBeGreaterThanOrEqual(3);
  expect(queries).toHaveLength(pages.length);
  // Another `after` than the one read ahead: its own query, the right page.
  const again = await pager.page(pages[1]!.next);
  expect(again).toEqual(pages[2]);
  expect(await pager.page(undefined)).toEqual(pages[0]);
});

it('throws a failure of the page read ahead from the call that asks for it, and only there', async () => {
  let calls = 0;
  const failingSecond = {
    query: (text: string, values?: unknown[]) => (++calls === 2 ? Promise.reject(new Error('connection lost')) : t.pool.query(text, values)),
  } as unknown as Db;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const pager = new CandidatePager(failingSecond, { limit: 4 });
    const first = await pager.page();
    await new Promise((resolve) => setTimeout(resolve, 50)); // the second page's query has failed by now
    await expect(pager.page(first.next)).rejects.toThrow('connection lost');
    expect(await pager.page(first.next)).toEqual(await candidateTicketStreams(t.pool, { limit: 4, after: first.next! }));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled).toEqual([]);
});
