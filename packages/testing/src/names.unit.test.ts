import { uniqueName } from './names';

describe('uniqueName', () => {
  it('is unique and safe as an identifier, stream name and subject token', () => {
    const names = new Set(Array.from({ length: 1000 }, () => uniqueName('Relay-Test.x')));
    expect(names.size).toBe(1000);
    for (const name of names) expect(name).toMatch(/^relay_test_x_[a-z0-9]+_[0-9a-f]{16}$/);
  });
});
