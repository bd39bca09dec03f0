/**
 * CopyRows writes the bytes copyRow's text would be in UTF-8 (issue 13: rows are encoded straight into
 * chunks): escapes, non-ASCII text, values larger than a chunk, rows across chunks, and a refused row.
 */
import { CopyRows, copyRow } from './copy-in';

const TRICKY = ['back\\slash \\N', 'tab\there', 'line\nbreak\r\n', 'quote " and \'', '\\N', '通办 ꆈꌠ 😀', '', 'é', 'plain-ascii_0123'];

/** Rows of every kind of value, some longer than the short-string path or than a chunk. */
function rows(seed: number): unknown[][] {
  let x = seed;
  const next = () => { x = (x * 1103515245 + 12345) % 2147483648; return x; };
  const text = () => {
    let s = '';
    const n = next() % 3 === 0 ? next() % 1500 : next() % 80;
    for (let i = 0; i < n; i++) s += TRICKY[next() % TRICKY.length]![next() % 4] ?? 'a';
    return s;
  };
  return Array.from({ length: 150 }, (_, i) => [
    `${i}`, i * 7, i % 3 === 0, null, undefined, text(), TRICKY[i % TRICKY.length], [text(), null, 'a"b\\c'],
    { title: text(), nested: { list: [text(), 1.5, null], back: 'x\\y\n' } }, -0.25, 'x'.repeat(i === 7 ? 70_000 : 65),
  ]);
}

it.each([1, 2, 3])('writes the bytes of copyRow (seed %i)', (seed) => {
  const data = rows(seed);
  const copy = new CopyRows();
  for (const r of data) copy.add(r);
  expect(copy.count).toBe(data.length);
  const chunks = copy.take();
  expect(chunks.length).toBeGreaterThan(1);
  expect(Buffer.concat(chunks).equals(Buffer.from(data.map(copyRow).join(''), 'utf8'))).toBe(true);
  expect(copy.count).toBe(0);
  expect(copy.take()).toEqual([]);
});

it('refuses a row with a number that is not finite and keeps nothing of it', () => {
  const copy = new CopyRows();
  copy.add(['a', 1]);
  expect(() => copy.add(['b', Number.POSITIVE_INFINITY])).toThrow(/not a finite number/);
  copy.add(['c', 2]);
  expect(Buffer.concat(copy.take()).toString('utf8')).toBe('a\t1\nc\t2\n');
});
