/**
 * `coco trustee serve` with several worker processes behind one port (`[http_server] worker_count`,
 * `--workers`, `COCO_WORKERS`). The primary does what must happen once — refuse storage that cannot be
 * shared, open the state store (schema, WAL), create the admin key pair and mint the admin token, read
 * a configured signer key — then forks the workers (`forkTrusteeWorkers`) and serves the whole-server
 * `/metrics` merge (`cluster-metrics.ts`). Each worker re-reads the same config (same argv, env and
 * cwd) and runs the normal `runTrustee` path with the shared session store and signer key.
 * Fail closed: if a worker fails to start, or dies later, the others are stopped.
 * @module
 */
import type { Worker } from 'node:cluster';
import { ConfigError } from '../core/index.js';
import { forkTrusteeWorkers, receiveClusterSetup, type ClusterOptions } from './cluster.js';
import { clusterMetricsHooks, joinClusterMetrics, primaryChannel, serveClusterMetrics, workerChannel } from './cluster-metrics.js';
import type { TrusteeConfig } from './config.js';
import { prepareAdminToken, readText, runTrustee, type RunTrusteeDeps, type RunningTrustee } from './serve.js';
import { openStore, type StorageConfig } from './storage/index.js';

/** The number of processes `config` asks for; 1 (this process alone) unless something sets it. */
export function workerCountOf(config: TrusteeConfig): number {
  return config.http.workerCount ?? 1;
}

export interface ClusterServeOptions extends Pick<ClusterOptions, 'exec' | 'args' | 'execArgv' | 'startTimeoutMs'> {
  /** How long `/metrics` waits for every worker (default `METRICS_DEADLINE_MS`). */
  metricsDeadlineMs?: number;
}

export interface RunningTrusteeCluster {
  url: string;
  port: number;
  /** A freshly minted admin token when the data dir's admin key is in use (embedded default). */
  adminToken?: string;
  workers: ReadonlyArray<{ id: number; pid: number }>;
  /** Resolves with a message when a worker exits while the cluster is not closing; never rejects. */
  workerLost: Promise<string>;
  /** Stop every worker and remove the shared session directory. */
  close(): Promise<void>;
}

/** Refuse storage that each process would hold on its own (ConfigError naming `http_server.worker_count`). */
export function checkShareable(config: TrusteeConfig, workers: number): void {
  if (workers > 1 && config.storage.type === 'memory') {
    throw new ConfigError(
      `http_server.worker_count = ${workers} needs storage that the worker processes share (SQLite or PostgreSQL); memory storage is private to each process`,
      { key: 'http_server.worker_count' },
    );
  }
}

async function openOnce(storage: StorageConfig): Promise<void> {
  if (storage.type !== 'memory') await (await openStore(storage)).close();
}

function urlOf(config: TrusteeConfig, port: number): string {
  const host = config.http.sockets[0]!.host;
  return `${config.http.insecureHttp ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** In the primary: the once-only work, then fork `workers` processes; resolves when all of them listen. */
export async function runTrusteeCluster(config: TrusteeConfig, workers: number, options: ClusterServeOptions = {}): Promise<RunningTrusteeCluster> {
  checkShareable(config, workers);
  const signer = config.attestationService.tokenBroker.signer;
  const signerKeyPem = signer ? readText(signer.keyPath, 'attestation_service.attestation_token_broker.signer.key_path') : undefined;
  await openOnce(config.storage);
  if (JSON.stringify(config.sessionStorage) !== JSON.stringify(config.storage)) await openOnce(config.sessionStorage);
  const adminToken = await prepareAdminToken(config);
  const forkOptions: ClusterOptions = { workers };
  for (const k of ['exec', 'args', 'execArgv', 'startTimeoutMs'] as const) if (options[k] !== undefined) Object.assign(forkOptions, { [k]: options[k] });
  if (signerKeyPem) forkOptions.signerKeyPem = signerKeyPem;
  const c = await forkTrusteeWorkers(forkOptions);
  const stopMetrics = serveClusterMetrics(c.workers.map(workerChannel), options.metricsDeadlineMs !== undefined ? { deadlineMs: options.metricsDeadlineMs } : {});
  let closing = false;
  const workerLost = new Promise<string>((resolve) => {
    const onExit = (w: Worker, code: number | null, signal: string | null) => {
      if (!closing) resolve(`worker ${w.id} (pid ${w.process.pid}) exited ${signal ? `on ${signal}` : `with code ${String(code)}`}`);
    };
    for (const w of c.workers) w.once('exit', (code, signal) => onExit(w, code, signal));
  });
  const out: RunningTrusteeCluster = {
    url: urlOf(config, c.port),
    port: c.port,
    workers: c.workers.map((w) => ({ id: w.id, pid: w.process.pid! })),
    workerLost,
    async close() {
      closing = true;
      stopMetrics();
      await c.close();
    },
  };
  if (adminToken) out.adminToken = adminToken;
  return out;
}

/**
 * In a worker: take the shared setup from the primary and run Trustee on it. A memory session store
 * is replaced by the primary's shared SQLite session file; SQLite and PostgreSQL ones are already shared.
 */
export async function runTrusteeWorker(config: TrusteeConfig, deps: Omit<RunTrusteeDeps, 'worker'>, options: { metricsDeadlineMs?: number } = {}): Promise<RunningTrustee> {
  const setup = await receiveClusterSetup();
  let member: ReturnType<typeof joinClusterMetrics> | undefined;
  const running = await runTrustee(config, {
    ...deps,
    worker: {
      ...(config.sessionStorage.type === 'memory' ? { sessionStorage: { type: 'sqlite' as const, path: setup.sessionDbPath } } : {}),
      signerKeyPem: setup.signerKeyPem,
      metrics(local) {
        member = joinClusterMetrics(local.registry, primaryChannel(), options.metricsDeadlineMs !== undefined ? { deadlineMs: options.metricsDeadlineMs } : {});
        return clusterMetricsHooks(local, member);
      },
    },
  });
  const close = running.close.bind(running);
  return Object.assign(running, {
    async close() {
      member?.stop();
      await close();
    },
  });
}
