/**
 * `npm start`: runs the whole platform against NATS and PostgreSQL at the local defaults
 * (NATS_URL, DATABASE_URL override; the database is created when missing), prints where the gateway
 * listens, and stops every process on Ctrl-C.
 */
import { startStack } from './stack';

async function main(): Promise<void> {
  const stack = await startStack({ output: 'inherit' });
  console.log(`\nTongban is running. Gateway: ${stack.gatewayUrl}  (API docs: ${stack.gatewayUrl}/docs)`);
  console.log('Staff token:  npm run -s token -- --role admin --division 513437100');
  console.log('Press Ctrl-C to stop.\n');
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  console.error('Tongban failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
