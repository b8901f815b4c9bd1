/**
 * Whole-server `/metrics` for a Trustee cluster. Each worker process keeps its own registry; the worker
 * that receives `GET /metrics` asks the primary over the cluster IPC channel, the primary asks every
 * worker (the asking one included) for a registry snapshot, merges them (`mergeSnapshots`) and answers;
 * the asking worker renders the exposition. If any worker does not answer within the deadline the
 * request fails with `Unavailable` (503) rather than under-reporting. Snapshots are structured clones
 * (the cluster uses `serialization: 'advanced'`), so `+Inf` sums survive the trip.
 * @module
 */
import type { Worker } from 'node:cluster';
import { Unavailable } from '../core/index.js';
import type { MetricsHooks } from './kbs/metrics-hooks.js';
import { mergeSnapshots } from './metrics/merge.js';
import { renderSnapshot, type Registry, type RegistrySnapshot } from './metrics/registry.js';

/** How long the primary waits for every worker's snapshot (the asking worker waits a second longer). */
export const METRICS_DEADLINE_MS = 2000;

const ASK = 'coco-metrics-ask'; // worker → primary: { id }
const ANSWER = 'coco-metrics-answer'; // primary → worker: { id, snapshot } | { id, error }
const COLLECT = 'coco-metrics-collect'; // primary → worker: { id }
const SNAPSHOT = 'coco-metrics-snapshot'; // worker → primary: { id, snapshot }

/** One end of an IPC channel: a cluster `Worker` seen from the primary, or the primary seen from a worker. */
export interface IpcChannel {
  send(message: unknown): void;
  /** Listen for messages; returns the function that stops listening. */
  listen(listener: (message: unknown) => void): () => void;
}

/** The channel to `worker`, in the primary. */
export function workerChannel(worker: Worker): IpcChannel {
  return {
    send: (m) => void (worker.isConnected() && worker.send(m as object)),
    listen(listener) {
      worker.on('message', listener);
      return () => void worker.off('message', listener);
    },
  };
}

/** The channel to the primary, in a worker. */
export function primaryChannel(): IpcChannel {
  return {
    send: (m) => void (process.connected && process.send?.(m)),
    listen(listener) {
      process.on('message', listener);
      return () => void process.off('message', listener);
    },
  };
}

function messageOf(m: unknown, type: string): { id: number; snapshot?: RegistrySnapshot; error?: string } | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const r = m as Record<string, unknown>;
  return r.type === type && typeof r.id === 'number' ? (r as { id: number }) : undefined;
}

/**
 * In the primary: answer the workers' `/metrics` questions with the merged snapshot of all of them.
 * Returns the function that stops serving.
 */
export function serveClusterMetrics(workers: readonly IpcChannel[], options: { deadlineMs?: number } = {}): () => void {
  const deadlineMs = options.deadlineMs ?? METRICS_DEADLINE_MS;
  let next = 0;
  const pending = new Map<number, (from: number, snapshot: RegistrySnapshot) => void>();
  const collect = (): Promise<RegistrySnapshot[]> => {
    const id = ++next;
    return new Promise((resolve, reject) => {
      const got = new Map<number, RegistrySnapshot>();
      const timer = setTimeout(() => {
        pending.delete(id);
        const missing = workers.map((_, i) => i).filter((i) => !got.has(i)).map((i) => i + 1);
        reject(new Unavailable(`metrics: worker ${missing.join(', ')} of ${workers.length} did not answer within ${deadlineMs} ms`));
      }, deadlineMs);
      pending.set(id, (from, snapshot) => {
        got.set(from, snapshot);
        if (got.size < workers.length) return;
        clearTimeout(timer);
        pending.delete(id);
        resolve(workers.map((_, i) => got.get(i)!));
      });
      for (const w of workers) w.send({ type: COLLECT, id });
    });
  };
  const stops = workers.map((w, i) =>
    w.listen((m) => {
      const snap = messageOf(m, SNAPSHOT);
      if (snap?.snapshot) return void pending.get(snap.id)?.(i, snap.snapshot);
      const ask = messageOf(m, ASK);
      if (!ask) return;
      collect().then(
        (all) => w.send({ type: ANSWER, id: ask.id, snapshot: mergeSnapshots(all) }),
        (err: Error) => w.send({ type: ANSWER, id: ask.id, error: err.message }),
      );
    }),
  );
  return () => stops.forEach((stop) => stop());
}

export interface ClusterMetricsMember {
  /** The whole server's exposition text; throws `Unavailable` when a worker (or the primary) is silent. */
  render(): Promise<string>;
  stop(): void;
}

/** In a worker: hand out this process's snapshots when the primary collects, and ask for the whole server's. */
export function joinClusterMetrics(registry: Registry, primary: IpcChannel, options: { deadlineMs?: number } = {}): ClusterMetricsMember {
  const deadlineMs = (options.deadlineMs ?? METRICS_DEADLINE_MS) + 1000;
  let next = 0;
  const waiting = new Map<number, (answer: { snapshot?: RegistrySnapshot; error?: string }) => void>();
  const stop = primary.listen((m) => {
    const collect = messageOf(m, COLLECT);
    if (collect) return primary.send({ type: SNAPSHOT, id: collect.id, snapshot: registry.snapshot() });
    const answer = messageOf(m, ANSWER);
    if (answer) waiting.get(answer.id)?.(answer);
  });
  return {
    stop,
    render() {
      const id = ++next;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Unavailable(`metrics: the cluster primary did not answer within ${deadlineMs} ms`));
        }, deadlineMs);
        waiting.set(id, (answer) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.snapshot) resolve(renderSnapshot(answer.snapshot));
          else reject(new Unavailable(answer.error ?? 'metrics: no answer from the cluster'));
        });
        primary.send({ type: ASK, id });
      });
    },
  };
}

/** `local`'s hooks with `render` answering for the whole cluster. */
export function clusterMetricsHooks(local: MetricsHooks, member: ClusterMetricsMember): MetricsHooks {
  return {
    request: (...a) => local.request(...a),
    auth: (ok) => local.auth(ok),
    attestation: (tee, ok, s) => local.attestation(tee, ok, s),
    policy: (r) => local.policy(r),
    resource: (op, path) => local.resource(op, path),
    plugin: (backend, rpc, ok, s) => local.plugin(backend, rpc, ok, s),
    render: () => member.render(),
  };
}
