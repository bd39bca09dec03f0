import { isTransientError, TransientError } from './transient';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it('recognises outages of PostgreSQL, sockets, NATS and gRPC', () => {
    for (const err of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('57P03', 'the database system is starting up'),
      pgError('08006'),
      pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('TIMEOUT'), { name: 'TimeoutError' }),
      Object.assign(new Error('14 UNAVAILABLE'), { code: 14, metadata: {} }),
      new TransientError('receiver down'),
      new Error('wrapped', { cause: pgError('ECONNRESET') }),
      new AggregateError([pgError('ECONNREFUSED'), new Error('Connection terminated')]),
    ]) {
      expect(isTransientError(err)).toBe(true);
    }
  });

  it('treats everything else as deterministic', () => {
    for (const err of [
      new TypeError("Cannot read properties of undefined (reading 'revision')"),
      pgError('23505', 'duplicate key value violates unique constraint'),
      pgError('22P02', 'invalid input syntax for type uuid'),
      Object.assign(new Error('3 INVALID_ARGUMENT'), { code: 3, metadata: {} }),
      new AggregateError([pgError('ECONNREFUSED'), new Error('bad data')]),
      'a string',
      undefined,
    ]) {
      expect(isTransientError(err)).toBe(false);
    }
  });
});
