/**
 * Server side of bench/kbs.bench.ts, run in its own process so the client and the server do not
 * share one event loop. Modes:
 * - `echo`: the baseline, a bare node:http server answering small JSON;
 * - `echo-spin:<µs>`: the same, busy-waiting that long per request (a server as costly as Trustee with
 *   none of its code);
 * - `turns-spin:<µs>`: that spinning handler behind Trustee's HTTP adapter on node:http (`listenHttp`
 *   with `engine: 'node'`, which hands requests out in arrival order), none of Trustee's application code;
 * - `kbs`: Trustee on the memory store;
 * - `kbs-sqlite`: the `npm start` layout, SQLite (WAL, synchronous=FULL) for state, sessions in memory;
 * - `kbs-sqlite-sessions`: sessions in the same SQLite file too (two durable writes per handshake);
 * - `kbs-node-ecdh`: `kbs` with node:crypto's P-256 ECDH instead of the native addon (`COCO_NATIVE_P256=0`);
 * - `kbs-node-http`: `kbs` served by node:http instead of Trustee's own HTTP/1.1 server (`COCO_HTTP_ENGINE=node`);
 * - `kbs-v8-heap`: `kbs` with V8's own heap growing factor (`kbs.heap_growing_percent = 0`);
 * - `kbs-cluster`: what `coco trustee serve` runs with `worker_count = 2` (`runTrusteeCluster` /
 *   `runTrusteeWorker`): two `node:cluster` workers sharing a SQLite state file, the SQLite session
 *   file on tmpfs the primary makes (config `session_storage_type = "Memory"`) and the signer key,
 *   with whole-server metrics; this process is their primary.
 * The first stdout line is `{url, engine}`; then each stdin line asks for the CPU time (µs) used so
 * far by the server (the primary and its workers), answered on stdout.
 */
import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import {
  createKbsMetrics,
  createTrustee,
  insecureAllowAllAdmin,
  listen,
  loadConfig,
  loadPolicyEngine,
  MemoryStore,
  openStore,
  regoPolicyEngine,
  runTrusteeCluster,
  runTrusteeWorker,
  setHeapGrowingPercent,
  DEFAULT_HEAP_GROWING_PERCENT,
  DEFAULT_SESSION_MAX_ENTRIES,
  type KvStore,
} from '../src/trustee/index.js';
import { listenHttp } from '../src/trustee/http/adapter.js';
import { ALLOW_RESOURCE_PLUGIN, SAMPLE_AFFIRMING_RVS, SAMPLE_AUTH_JSON, b64url, sampleRvMessage } from '../test/support/trustee.js';

const mode = process.argv[2] ?? 'kbs';
const ENGINE = 'rego (src/rego)';
let cpuMicros = async () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function seed(url: string): Promise<void> {
  const admin = async (path: string, body: string | object) => {
    const res = await fetch(url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    if (!res.ok) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
  };
  await admin('/kbs/v0/resource-policy', { policy: b64url(ALLOW_RESOURCE_PLUGIN) });
  await admin('/kbs/v0/reference-value', sampleRvMessage(SAMPLE_AFFIRMING_RVS));
  await admin('/kbs/v0/resource/default/bench/key', 'a-32-byte-secret-for-the-bench!!');
}

/** A Trustee on `store`/`sessionStore` with Prometheus metrics on, as `coco trustee serve` has them. */
async function serveTrustee(store: KvStore, sessionStore: KvStore) {
  // As runTrustee does with the default config; `kbs-v8-heap` leaves V8's own choice for comparison.
  if (mode !== 'kbs-v8-heap') setHeapGrowingPercent(DEFAULT_HEAP_GROWING_PERCENT);
  const metrics = createKbsMetrics(BUILD);
  const trustee = await createTrustee({ store, sessionStore, policyEngine: regoPolicyEngine, admin: insecureAllowAllAdmin, metrics });
  trustee.context.crypto.prestart(); // as runTrustee does once it listens
  if (sessionStore instanceof MemoryStore) await fillSessions(trustee);
  return listen(trustee, { port: 0 });
}

/**
 * Start with the in-memory session table full, as it is on a server that has served a while at load
 * (at 2,000 handshakes/s, the default bound of 100,000 sessions is reached within a minute and stays
 * reached): `DEFAULT_SESSION_MAX_ENTRIES` auth requests through the app, no sockets, a few seconds.
 * The sessions are unattested (no tokens), so the heap holds their objects but not ~1.7 KB of token
 * each. KBS_BENCH_FILL=0 starts empty instead.
 */
async function fillSessions(trustee: Awaited<ReturnType<typeof createTrustee>>): Promise<void> {
  if (process.env.KBS_BENCH_FILL === '0') return;
  const body = new TextEncoder().encode(SAMPLE_AUTH_JSON);
  for (let i = 0; i < DEFAULT_SESSION_MAX_ENTRIES; i++) {
    const res = await trustee.handle({ method: 'POST', url: '/kbs/v0/auth', headers: {}, body });
    if (res.status !== 200) throw new Error(`filling the session table: auth answered ${res.status}`);
  }
}

const BUILD = { version: 'bench', gitHash: 'bench', buildDate: 'bench' };

/** `kbs-cluster`: an upstream-format config for two workers on SQLite, admin open for seeding. */
function clusterConfig(dir: string): string {
  return [
    'session_storage_type = "Memory"',
    '[http_server]',
    'sockets = ["127.0.0.1:0"]',
    'insecure_http = true',
    'worker_count = 2',
    '[admin]',
    'authorization_mode = "InsecureAllowAll"',
    '[storage_backend]',
    'storage_type = "Sqlite"',
    '[storage_backend.backends.sqlite]',
    `path = ${JSON.stringify(join(dir, 'kbs.sqlite'))}`,
    '[kbs]',
    `data_dir = ${JSON.stringify(dir)}`,
    '',
  ].join('\n');
}

const tempDirs: string[] = [];
const sqliteFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kbs-bench-'));
  tempDirs.push(dir);
  return join(dir, 'kbs.sqlite');
};
const cleanup = () => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true }));

/** Busy-wait `micros` µs on this thread (the `echo-spin` baseline's stand-in for request work). */
function spin(micros: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(micros * 1000));
  while (process.hrtime.bigint() < end);
}

if (mode === 'echo' || mode.startsWith('echo-spin:')) {
  // `echo-spin:<µs>`: the echo server also spins that long per request, so it costs as much CPU per
  // request as Trustee does; what remains of the latency shape is the closed loop itself.
  const work = mode === 'echo' ? 0 : Number(mode.slice('echo-spin:'.length));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (work > 0) spin(work);
      const body = JSON.stringify({ ok: true, n: Buffer.concat(chunks).length });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'set-cookie': 'kbs-session-id=00000000000000000000000000000000',
      });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, engine: work ? `spin ${work} µs` : 'none' })));
} else if (mode.startsWith('turns-spin:')) {
  const work = Number(mode.slice('turns-spin:'.length));
  const body = JSON.stringify({ ok: true });
  const server = await listenHttp(
    () => {
      spin(work);
      return Promise.resolve({ status: 200, headers: { 'content-type': 'application/json', 'set-cookie': 'kbs-session-id=00000000000000000000000000000000' }, body });
    },
    { port: 0, bodyLimit: 1 << 20, engine: 'node' },
  );
  console.log(JSON.stringify({ url: server.url, engine: `spin ${work} µs behind listenHttp` }));
} else if (mode === 'kbs-cluster-worker') {
  // The worker branch of `coco trustee serve`, on the config file the primary wrote.
  await runTrusteeWorker(loadConfig({ file: process.argv[3]!, env: {} }), { policyEngine: await loadPolicyEngine(), build: BUILD });
  process.on('message', (m: unknown) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ cpu: u.user + u.system });
    }
  });
} else if (mode === 'kbs-cluster') {
  const dir = mkdtempSync(join(tmpdir(), 'kbs-bench-'));
  tempDirs.push(dir);
  const configPath = join(dir, 'kbs-config.toml');
  writeFileSync(configPath, clusterConfig(dir));
  const config = loadConfig({ file: configPath, env: {} });
  const c = await runTrusteeCluster(config, 2, { exec: fileURLToPath(import.meta.url), args: ['kbs-cluster-worker', configPath], execArgv: ['--import', 'tsx'] });
  await seed(c.url);
  const own = cpuMicros;
  cpuMicros = async () => {
    const parts = await Promise.all(
      Object.values(cluster.workers ?? {}).map((w) => new Promise<number>((resolve) => {
        const on = (m: unknown) => {
          if (m && typeof m === 'object' && 'cpu' in m) (w!.off('message', on), resolve((m as { cpu: number }).cpu));
        };
        w!.on('message', on);
        w!.send('cpu');
      })),
    );
    return (await own()) + parts.reduce((a, b) => a + b, 0);
  };
  void c.workerLost.then((why) => (console.error(`kbs-cluster: ${why}`), c.close().then(() => (cleanup(), process.exit(1)))));
  process.on('SIGTERM', () => void c.close().then(() => (cleanup(), process.exit(0))));
  console.log(JSON.stringify({ url: c.url, engine: `${ENGINE}, 2 cluster workers` }));
} else {
  if (mode === 'kbs-node-ecdh') process.env.COCO_NATIVE_P256 = '0';
  if (mode === 'kbs-node-http') process.env.COCO_HTTP_ENGINE = 'node';
  const store = mode.startsWith('kbs-sqlite') ? await openStore({ type: 'sqlite', path: sqliteFile() }) : new MemoryStore();
  const server = await serveTrustee(store, mode === 'kbs-sqlite-sessions' ? store : new MemoryStore());
  await seed(server.url);
  console.log(JSON.stringify({ url: server.url, engine: ENGINE }));
}

if (cluster.isPrimary) {
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', () => void cpuMicros().then((micros) => console.log(JSON.stringify({ cpuMicros: micros }))));
  // Exit cleanly on SIGTERM so `--cpu-prof` can write its profile (the cluster primary closes its workers first).
  if (mode !== 'kbs-cluster') process.on('SIGTERM', () => (cleanup(), process.exit(0)));
}

// KBS_BENCH_GC=1: print GC pauses (count, total, worst) to stderr every 5 s while profiling.
if (process.env.KBS_BENCH_GC) {
  const { PerformanceObserver } = await import('node:perf_hooks');
  let n = 0, total = 0, worst = 0;
  const kinds = new Map<number, number>();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      n++, (total += e.duration), (worst = Math.max(worst, e.duration));
      const k = (e as unknown as { detail: { kind: number } }).detail.kind;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
  }).observe({ entryTypes: ['gc'] });
  setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(`gc: ${n} pauses, ${total.toFixed(1)} ms total, worst ${worst.toFixed(2)} ms, kinds ${JSON.stringify([...kinds])}, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(m.external / 2 ** 20).toFixed(0)} MiB\n`);
    n = total = worst = 0;
    kinds.clear();
  }, 5000).unref();
}
