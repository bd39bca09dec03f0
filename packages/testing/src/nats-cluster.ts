/**
 * A private NATS cluster for fault-injection tests: `size` `nats-server` processes with JetStream,
 * each with its own store directory, routed to each other (`--cluster`/`--routes`) on loopback ports.
 * Nodes can be killed (any signal) and started again with the same ports and store.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait-for';

/** One node of the cluster. */
export interface NatsNode {
  /** Server name (`n1`, `n2`, …): the name JetStream reports as a leader. */
  name: string;
  url: string;
  port: number;
  clusterPort: number;
  /** HTTP monitoring port (`/healthz`, `/jsz`). */
  monitorPort: number;
  storeDir: string;
}

/** A running cluster. */
export interface NatsCluster {
  nodes: NatsNode[];
  /** Every client URL, comma-separated (what NATS_URL takes). */
  url: string;
  /** Stops a node with `signal` (default SIGKILL) and resolves when it has exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again (same ports and store) and resolves when it accepts connections and JetStream is healthy. */
  start(name: string): Promise<void>;
  /** Kills every node and deletes the store directories. */
  dispose(): Promise<void>;
}

/** The nats-server binary (NATS_SERVER_BIN, else `nats-server` on the PATH), or undefined. */
export function natsServerBinary(): string | undefined {
  const fromEnv = process.env['NATS_SERVER_BIN'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why a private cluster cannot be started here, or undefined when it can. */
export function natsClusterUnavailable(): string | undefined {
  return natsServerBinary() ? undefined : 'no nats-server binary: set NATS_SERVER_BIN or install nats-server';
}

/** How long a starting node may take to report JetStream healthy (meta leader known), ms. */
const HEALTHY_WITHIN_MS = 30_000;

/**
 * Resolves when the node's monitoring endpoint `/healthz` answers 200 — on a cluster, only once
 * JetStream is in contact with a meta leader, so that streams and KV buckets can be created.
 * @throws Error naming the node after {@link HEALTHY_WITHIN_MS}.
 */
async function untilHealthy(node: NatsNode): Promise<void> {
  await waitFor(async () => {
    const res = await fetch(`http://127.0.0.1:${node.monitorPort}/healthz`);
    if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
    return true;
  }, { timeoutMs: HEALTHY_WITHIN_MS, intervalMs: 100, description: `nats-server ${node.name} to report /healthz 200` });
}

/**
 * Starts a cluster of `size` (default 3) nodes (1: a single plain JetStream server) and resolves when every node accepts connections and
 * reports JetStream healthy (a meta leader is elected), so the first stream or KV bucket can be created.
 * @throws Error when nats-server is missing, a node exits while starting (its output in the message) or
 *   JetStream does not become healthy within 30 s.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const bin = natsServerBinary();
  if (!bin) throw new Error(natsClusterUnavailable());
  const root = mkdtempSync(join(tmpdir(), 'tongban-nats-'));
  const clusterName = `tb_${Date.now().toString(36)}`;
  const nodes: NatsNode[] = [];
  for (let i = 1; i <= size; i++) {
    const port = await freePort();
    nodes.push({
      name: `n${i}`, port, url: `nats://127.0.0.1:${port}`, clusterPort: await freePort(), monitorPort: await freePort(), storeDir: join(root, `n${i}`),
    });
  }
  const processes = new Map<string, ChildProcess>();
  const launch = (node: NatsNode) => new Promise<void>((resolve, reject) => {
    const routes = nodes.filter((n) => n !== node).map((n) => `nats://127.0.0.1:${n.clusterPort}`).join(',');
    // One node: a plain JetStream server (a private NATS to stop and start), no cluster.
    const clustering = size > 1 ? ['--cluster_name', clusterName, '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes] : [];
    const child = spawn(bin, [
      '-a', '127.0.0.1', '-p', String(node.port), '-m', String(node.monitorPort), '-n', node.name, '-js', '-sd', node.storeDir, ...clustering,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    processes.set(node.name, child);
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`nats-server ${node.name} exited (${code ?? signal}) while starting:\n${output.slice(-2000)}`)));
  });
  const kill = async (name: string, signal: NodeJS.Signals = 'SIGKILL') => {
    const child = processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  };
  try {
    await Promise.all(nodes.map(launch));
    await Promise.all(nodes.map(untilHealthy));
  } catch (err) {
    await Promise.all(nodes.map((n) => kill(n.name)));
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes,
    url: nodes.map((n) => n.url).join(','),
    kill,
    start: async (name) => {
      const node = nodes.find((n) => n.name === name);
      if (!node) throw new Error(`no node ${name}`);
      await launch(node);
      await untilHealthy(node);
    },
    async dispose() {
      await Promise.all(nodes.map((n) => kill(n.name)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
