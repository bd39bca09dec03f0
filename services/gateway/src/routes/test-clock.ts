import { SERVICE_NAMES } from '@tongban/runtime';
import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../schemas';
import type { TestClockControl } from '../test-clock';

const clockSchema = {
  type: 'object',
  properties: {
    now: { type: 'string', format: 'date-time' },
    acknowledged: { type: 'array', items: { type: 'string' }, description: 'Services that now read this time.' },
    missing: { type: 'array', items: { type: 'string' }, description: 'Services that did not answer in time.' },
  },
};

/**
 * The test clock routes, registered only when TONGBAN_TEST_CLOCK=1 (otherwise they do not exist: 404).
 * PUT /api/v1/test/clock {now} moves the time of every service; GET returns it.
 */
export function registerTestClockRoutes(app: FastifyInstance, control: TestClockControl): void {
  app.put<{ Body: { now: string } }>('/api/v1/test/clock', {
    schema: {
      tags: ['test'],
      summary: 'Set the time of every service (test stacks only)',
      body: {
        type: 'object', additionalProperties: false, required: ['now'],
        properties: { now: { type: 'string', format: 'date-time', description: 'ISO-8601 instant with offset.' } },
      },
      response: { 200: clockSchema, ...problemResponses(400, 503) },
    },
  }, async (request) => {
    const instant = new Date(request.body.now);
    const { acknowledged } = await control.set(instant);
    return { now: instant.toISOString(), acknowledged, missing: SERVICE_NAMES.filter((s) => !acknowledged.includes(s)) };
  });

  app.get('/api/v1/test/clock', {
    schema: { tags: ['test'], summary: 'The current test time', response: { 200: clockSchema } },
  }, async () => ({ now: control.now().toISOString() }));
}
