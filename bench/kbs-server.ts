/**
 * Server side of bench/kbs.bench.ts, run in its own process so the client and the server do not
 * share one event loop. `echo` is the baseline: a bare node:http server answering small JSON.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createKbsMetrics, createTrustee, insecureAllowAllAdmin, listen, MemoryStore, openStore, regoPolicyEngine } from '../src/trustee/index.js';
import { ALLOW_RESOURCE_PLUGIN, SAMPLE_AFFIRMING_RVS, b64url, sampleRvMessage } from '../test/support/trustee.js';

const mode = process.argv[2] ?? 'kbs';
if (mode === 'echo') {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ ok: true, n: Buffer.concat(chunks).length });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'set-cookie': 'kbs-session-id=00000000000000000000000000000000',
      });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, engine: 'none' })));
} else {
  const engine = regoPolicyEngine;
  const engineName = 'rego (src/rego)';
  // `kbs-sqlite`: the `npm start` layout — SQLite (WAL, synchronous=FULL) for state, sessions in memory.
  // `kbs-sqlite-sessions`: sessions in the same SQLite file too (two durable writes per handshake).
  const sqlite = mode.startsWith('kbs-sqlite');
  const store = sqlite ? await openStore({ type: 'sqlite', path: join(mkdtempSync(join(tmpdir(), 'kbs-bench-')), 'kbs.sqlite') }) : new MemoryStore();
  const sessionStore = mode === 'kbs-sqlite-sessions' ? store : new MemoryStore();
  // Prometheus metrics on, as `coco trustee serve` has them.
  const metrics = createKbsMetrics({ version: 'bench', gitHash: 'bench', buildDate: 'bench' });
  const trustee = await createTrustee({ store, sessionStore, policyEngine: engine, admin: insecureAllowAllAdmin, metrics });
  const server = await listen(trustee, { port: 0 });
  const admin = async (path: string, body: string | object) =>
    fetch(server.url + path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  await admin('/kbs/v0/resource-policy', { policy: b64url(ALLOW_RESOURCE_PLUGIN) });
  await admin('/kbs/v0/reference-value', sampleRvMessage(SAMPLE_AFFIRMING_RVS));
  await admin('/kbs/v0/resource/default/bench/key', 'a-32-byte-secret-for-the-bench!!');
  console.log(JSON.stringify({ url: server.url, engine: engineName }));
}
// A line on stdin asks for this process's CPU time so far (µs), answered on stdout.
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const u = process.cpuUsage();
  console.log(JSON.stringify({ cpuMicros: u.user + u.system }));
});

// Exit cleanly on SIGTERM so `--cpu-prof` can write its profile.
process.on('SIGTERM', () => {
  if (process.env.KBS_BENCH_CPU) console.error(JSON.stringify(process.cpuUsage()));
  process.exit(0);
});
