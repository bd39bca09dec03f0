import { anchorEventId } from './anchors';

// Expected ids computed with the `uuid` package's v5, which derived them before `uuidV5`: anchors already
// stored carry these ids and a repeated round must derive them again.
describe('anchorEventId', () => {
  it('derives the ids the anchors were stored with', () => {
    expect(anchorEventId({ transactionId: '1', position: '0' })).toBe('8f95318c-ca19-5335-80a0-eb5954427e2c');
    expect(anchorEventId({ transactionId: '987654321', position: '42' })).toBe('78bdacda-8f64-5097-9ee4-9d435680e832');
    expect(anchorEventId({ transactionId: '18446744073709551615', position: '9223372036854775807' })).toBe('51cc4490-49af-56cb-99c0-ad8a8586fe20');
  });
});
