import { v5 as uuidv5 } from 'uuid';
import { ID_NAMESPACES, uuidV5 } from './id-namespaces';

// Stored ids are derived from these namespaces and derived again on every retry: changing one would
// make a redelivered event, a repeated timer or a resent update produce a second, different id.
describe('ID_NAMESPACES', () => {
  it('keeps every namespace exactly', () => {
    expect(ID_NAMESPACES).toEqual({
      causedEvent: '2f1c0c5e-7d0b-4a59-9d7e-3b7b1a6f0c11',
      inboxMessage: '8e0f3a52-41f4-4c43-9b55-5f2d1a1c7e90',
      deliveryFailure: '0b6f1f8e-6f53-4a43-8f0e-2c1a4f9f3d11',
      auditAnchor: '5b0e7a52-3c1f-4f6e-9a43-2c8d7e61b0a9',
      timerEvent: 'c7f4f0a4-5a3e-4a8e-8d4b-0b6f2d9e1a37',
      clientUpdate: '5b0e6f0c-2f7d-4f63-9a8e-3c1d7a4b9e21',
      ticketReporter: '9d3b6a2e-1c4f-4e8b-a7d5-6f0e2b9c8a41',
      reporterErased: '3e7c1b9a-5d2f-4a6e-8b0c-7f4d2e1a9c53',
    });
  });

  it('are distinct', () => {
    const values = Object.values(ID_NAMESPACES);
    expect(new Set(values).size).toBe(values.length);
  });

  it('derive the same ids as before (RFC 4122 version 5, computed independently)', () => {
    const derived = Object.fromEntries(Object.entries(ID_NAMESPACES).map(([name, ns]) => [name, uuidv5('tongban', ns)]));
    expect(derived).toEqual({
      causedEvent: '3d92f942-39e1-54e9-98f6-cec48b2d429a',
      inboxMessage: '02207b8d-bfae-57aa-abcd-05d3fb369d08',
      deliveryFailure: 'afde22e2-6af4-54f5-b68b-32302ac33baf',
      auditAnchor: 'e55596ac-6390-5350-9906-52406dac3333',
      timerEvent: '98be875d-d504-544b-a768-453b8ab168e3',
      clientUpdate: 'da2fcb16-e58d-5c4b-ab03-1ff8d7fe8ca3',
      ticketReporter: 'fc795cd7-9106-535d-b9d1-f9bafda56b07',
      reporterErased: 'ec6d7e88-76fd-561f-8f64-997458076040',
    });
  });

  it('uuidV5 derives exactly the ids of the uuid package\'s v5, for every namespace and any text', () => {
    const names = ['tongban', '', '0193a8f0-1234-7abc-8def-000000000001/routed/0', '路灯坏了/unit/四川', 'ü€😀', 'x'.repeat(300), '["citizen","d",1]'];
    for (const ns of Object.values(ID_NAMESPACES)) {
      for (const name of names) expect(uuidV5(name, ns)).toBe(uuidv5(name, ns));
    }
    // Upper-case namespaces are the same namespace.
    expect(uuidV5('tongban', ID_NAMESPACES.causedEvent.toUpperCase())).toBe('3d92f942-39e1-54e9-98f6-cec48b2d429a');
  });

  it('uuidV5 refuses a namespace that is not a UUID and a name without a UTF-8 form', () => {
    expect(() => uuidV5('tongban', 'not-a-uuid')).toThrow(TypeError);
    expect(() => uuidV5('a\ud800b', ID_NAMESPACES.causedEvent)).toThrow(TypeError);
  });
});
