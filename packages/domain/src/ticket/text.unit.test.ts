import { TicketRejection } from './errors';
import { assertCleanText } from './text';

describe('assertCleanText', () => {
  it('accepts Chinese, Yi, emoji, combining characters, tabs and new lines', () => {
    expect(() => assertCleanText({ title: '危墙 ꆈꌠ 🧱 e\u0301', description: 'line 1\n\tline 2\r\n' })).not.toThrow();
  });

  it.each([['NUL', 'a\u0000b'], ['BEL', 'a\u0007'], ['ESC', '\u001b[31m'], ['DEL', 'x\u007f'], ['lone surrogate', 'a\ud800b'], ['lone low surrogate', '\udc00']])(
    'rejects %s and names the field', (_name, text) => {
      let error: unknown;
      try { assertCleanText({ onBehalfOf: { name: text } }); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(TicketRejection);
      expect((error as TicketRejection).reason).toBe('invalid_characters');
      expect((error as TicketRejection).message).toContain('onBehalfOf.name');
    },
  );
});
