/**
 * Several Trustee processes behind one listening port (upstream `[http_server] worker_count`), with
 * `node:cluster`. Connections are spread over the workers, so one guest's `/auth`, `/attest` and
 * resource requests may each reach a different worker. That is correct only when every worker
 * shares:
 * - the state store (policies, resources, reference values): SQLite file or PostgreSQL, never memory;
 * - the session store: the primary creates one SQLite file for sessions in a private directory on
 *   tmpfs (`/dev/shm` when present), which the workers open;
 * - the token signer key: the primary makes one ephemeral P-256 key (unless one is configured), so a
 *   token minted by one worker verifies on another.
 * The primary hands the shared setup to each worker that asks for it over the cluster IPC channel
 * (never the environment), then waits until every worker listens. A SQLite state file should be opened once in
 * the primary before forking (schema creation and the switch to WAL are not safe to race).
 * @module
 */
import cluster, { type Worker } from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, Unavailable } from '../core/index.js';
import { SqliteStore } from './storage/sqlite.js';

const SETUP = 'coco-trustee-cluster-setup';
const ASK = 'coco-trustee-cluster-ask';

/** What every worker must share. */
export interface ClusterSetup {
  /** SQLite file holding the sessions of all workers. */
  sessionDbPath: string;
  /** P-256 private key (PKCS#8 PEM) signing attestation tokens. */
  signerKeyPem: string;
}

export interface ClusterOptions {
  /** Number of worker processes (≥ 1). */
  workers: number;
  /** Worker entry script and its arguments; default: this process's script and arguments. */
  exec?: string;
  args?: string[];
  /** Node flags of the workers (e.g. `['--import', 'tsx']`); default: this process's flags. */
  execArgv?: string[];
  /** Configured signer key; default: one ephemeral key shared by all workers. */
  signerKeyPem?: string;
  /** How long to wait for the workers to listen (default 60 s). */
  startTimeoutMs?: number;
}

export interface TrusteeCluster {
  /** The port every worker listens on. */
  readonly port: number;
  /** The shared session database (in a private directory removed by `close`). */
  readonly sessionDbPath: string;
  readonly workers: readonly Worker[];
  /** Stop the workers and remove the session directory. */
  close(): Promise<void>;
}

function sessionDir(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, 'coco-trustee-sessions-')); // mode 0700
}

/** In the primary: fork the workers, hand them the shared setup, resolve once all of them listen. */
export async function forkTrusteeWorkers(options: ClusterOptions): Promise<TrusteeCluster> {
  if (!cluster.isPrimary) throw new ConfigError('forkTrusteeWorkers runs in the primary process', { key: 'http_server.worker_count' });
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new ConfigError('worker count must be a positive integer', { key: 'http_server.worker_count' });
  const dir = sessionDir();
  const sessionDbPath = join(dir, 'sessions.sqlite');
  // Create the schema and switch to WAL once here, so the workers do not race to do it.
  await new SqliteStore({ path: sessionDbPath }).close();
  const setup: ClusterSetup = {
    sessionDbPath,
    signerKeyPem: options.signerKeyPem ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  // Structured clone on the IPC channel: metric snapshots carry numbers JSON cannot (`Infinity`).
  const settings: Parameters<typeof cluster.setupPrimary>[0] = { serialization: 'advanced' };
  if (options.exec) settings.exec = options.exec;
  if (options.args) settings.args = options.args;
  if (options.execArgv) settings.execArgv = options.execArgv;
  cluster.setupPrimary(settings);
  const workers: Worker[] = [];
  let closing = false;
  const close = async () => {
    closing = true;
    await Promise.all(
      workers.map((w) => (w.isDead() ? undefined : new Promise<void>((done) => (w.once('exit', () => done()), w.kill())))),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Unavailable('cluster workers did not start listening in time')), options.startTimeoutMs ?? 60_000);
      const listening: number[] = [];
      for (let i = 0; i < options.workers; i++) {
        const w = cluster.fork();
        workers.push(w);
        // The worker asks once its listener is in place (a message sent earlier would be lost).
        w.on('message', (m: unknown) => {
          if (m && typeof m === 'object' && (m as { type?: unknown }).type === ASK) w.send({ type: SETUP, setup });
        });
        w.once('listening', (address) => {
          listening.push(address.port);
          if (listening.length === options.workers) (clearTimeout(timer), resolve(listening));
        });
        w.once('exit', (code) => {
          if (!closing) (clearTimeout(timer), reject(new Unavailable(`cluster worker ${w.id} exited with code ${String(code)} before listening`)));
        });
      }
    });
    if (new Set(ports).size !== 1) throw new Unavailable(`cluster workers listen on different ports: ${ports.join(', ')}`);
    return { port: ports[0]!, sessionDbPath, workers, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** In a worker: the shared setup sent by the primary. */
export function receiveClusterSetup(): Promise<ClusterSetup> {
  if (!cluster.isWorker) return Promise.reject(new ConfigError('receiveClusterSetup runs in a cluster worker', { key: 'http_server.worker_count' }));
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && (m as { type?: unknown }).type === SETUP) {
        process.off('message', onMessage);
        resolve((m as { setup: ClusterSetup }).setup);
      }
    };
    process.on('message', onMessage);
    process.send!({ type: ASK });
  });
}
