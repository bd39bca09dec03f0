/**
 * The bare baseline of `npm run bench:path` (run as its own process, as the gateway is): a fastify
 * route POST /api/v1/tickets validating the body with the gateway's own schema (same ajv options) and
 * inserting one row into PostgreSQL. Environment: DATABASE_URL (a database of the bench), PORT.
 * Tells the parent `{ ready: port }` over IPC.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { submitBodySchema } from '../services/gateway/src/routes/tickets';
import { PROTO_KEYWORD } from '../services/gateway/src/schemas';

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
  await pool.query('CREATE TABLE IF NOT EXISTS baseline_tickets (id uuid PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL)');
  const app = Fastify({
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false },
      plugins: [(ajv) => ajv.addKeyword(PROTO_KEYWORD)],
    },
  });
  app.post('/api/v1/tickets', { schema: { body: submitBodySchema } }, async (request, reply) => {
    const id = randomUUID();
    await pool.query('INSERT INTO baseline_tickets (id, body, created_at) VALUES ($1, $2, now())', [id, request.body]);
    return reply.code(201).send({ id, status: 'submitted' });
  });
  const address = await app.listen({ port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' });
  process.send?.({ ready: Number(new URL(address).port) });
  process.on('SIGTERM', () => { void app.close().then(() => pool.end()).then(() => process.exit(0)); });
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
