import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port handed out; below it sit well-known services (PostgreSQL 5432, NATS 4222, …). */
const LOWEST = 10_000;

/**
 * First port of the kernel's ephemeral range (Linux `net.ipv4.ip_local_port_range`, usually 32768).
 * Outgoing connections take their source port from that range, so a port picked there can be taken
 * by any connection to PostgreSQL or NATS before the process under test binds it (seen in CI:
 * "INTAKE_ADDR=127.0.0.1:38613: port already in use").
 */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const handedOut = new Set<number>();

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1, chosen at random below the ephemeral range and never handed out twice
 * by this process. It is free when this resolves, not reserved: bind it soon.
 * @throws Error when 200 random candidates are all taken.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralStart();
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (high - LOWEST));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port found between ${LOWEST} and ${high}`);
}
