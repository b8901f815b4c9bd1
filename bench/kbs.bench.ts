/**
 * KBS throughput: full sample handshakes (auth + attest + resource GET) per second and p50/p99
 * latency at 1, 16 and 64 concurrent keep-alive clients over loopback HTTP, against a bare node:http
 * echo server answering the same three requests (the baseline). Server and client run in separate
 * processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleAttestation, sampleGuest, type SampleGuest } from '../test/support/trustee.js';
import { fmt } from './util.js';

const here = dirname(fileURLToPath(import.meta.url));
const LEVELS = [1, 16, 64];
const SECONDS = Number(process.env.KBS_BENCH_SECONDS ?? 4);

interface BenchServer {
  child: ChildProcess;
  url: string;
  engine: string;
  /** CPU time the server process has used so far, µs. */
  cpu(): Promise<number>;
}

async function startServer(mode: string): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'kbs-server.ts'), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('bench server exited before listening');
  const info = JSON.parse(first.value) as { url: string; engine: string };
  return {
    child,
    ...info,
    async cpu() {
      child.stdin!.write('cpu\n');
      const next = await lines.next();
      return (JSON.parse(next.value as string) as { cpuMicros: number }).cpuMicros;
    },
  };
}

interface Res {
  status: number;
  body: string;
  cookie: string | undefined;
}

function send(agent: Agent, url: URL, method: string, path: string, body: string | undefined, cookie?: string): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    const req = request({ agent, host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const AUTH = JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' });

async function handshake(agent: Agent, url: URL, guest: SampleGuest, echo: boolean): Promise<void> {
  const a = await send(agent, url, 'POST', '/kbs/v0/auth', AUTH);
  const nonce = echo ? 'AAAA' : (JSON.parse(a.body) as { nonce: string }).nonce;
  const t = await send(agent, url, 'POST', '/kbs/v0/attest', JSON.stringify(sampleAttestation(guest, nonce)), a.cookie);
  const r = await send(agent, url, 'GET', '/kbs/v0/resource/default/bench/key', undefined, a.cookie);
  if (a.status !== 200 || t.status !== 200 || r.status !== 200) throw new Error(`handshake failed: ${a.status}/${t.status}/${r.status} ${t.body} ${r.body}`);
}

async function load(server: BenchServer, concurrency: number, echo: boolean, guests: SampleGuest[]) {
  const u = new URL(server.url);
  const cpu0 = await server.cpu();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const times: number[] = [];
  const warmEnd = performance.now() + 500;
  const end = warmEnd + SECONDS * 1000;
  let i = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await handshake(agent, u, guests[i++ % guests.length]!, echo);
      if (t0 >= warmEnd) times.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const serverCpuMicros = (await server.cpu()) - cpu0;
  agent.destroy();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0;
  // Handshakes done during warm-up are not timed but did use server CPU: count every completed one.
  return { rate: times.length / SECONDS, p50: q(0.5), p99: q(0.99), cpuPerHandshake: serverCpuMicros / Math.max(1, i) };
}

export async function run(): Promise<{ title: string; body: string }> {
  const loadAtStart = loadavg()[0]!;
  const guests = Array.from({ length: 32 }, () => sampleGuest('P-256'));
  const kbs = await startServer('kbs');
  const sqlite = await startServer('kbs-sqlite');
  const echo = await startServer('echo');
  const rows: string[] = [];
  const row = (label: string, c: number, real: Awaited<ReturnType<typeof load>>, base: Awaited<ReturnType<typeof load>>) =>
    `| ${label} | ${c} | ${fmt(real.rate)} | ${fmt(real.p50, 2)} | ${fmt(real.p99, 2)} | ${fmt(real.cpuPerHandshake)} | ${fmt(base.rate)} | ${fmt(base.p50, 2)} | ${fmt(base.p99, 2)} | ${fmt(base.cpuPerHandshake)} | ${fmt(real.rate / base.rate, 2)} |`;
  try {
    for (const c of LEVELS) {
      const base = await load(echo, c, true, guests);
      rows.push(row('memory', c, await load(kbs, c, false, guests), base));
      if (c !== 1) rows.push(row('SQLite', c, await load(sqlite, c, false, guests), base));
    }
  } finally {
    kbs.child.kill();
    sqlite.child.kill();
    echo.child.kill();
  }
  return {
    title: 'KBS handshakes (auth + attest + resource GET, sample TEE, loopback HTTP)',
    body: [
      `Policy engine: ${kbs.engine}. Store: memory, or SQLite with sessions in memory (the \`npm start\` layout). Each handshake is 3 HTTP requests on keep-alive connections; the`,
      'client (RCAR + evidence building) runs in this process, the server in its own. Baseline: a bare node:http echo',
      `server answering the same three requests. ${SECONDS} s per level after 0.5 s warm-up. "server CPU" is the`,
      'server process CPU time per handshake (user + system, µs), which other load on the machine disturbs less than',
      `wall-clock rates. Load average at start: ${loadAtStart.toFixed(1)} on ${cpus().length} CPUs.`,
      '',
      '| store | clients | handshakes/s | p50 ms | p99 ms | server CPU µs | echo triples/s | echo p50 ms | echo p99 ms | echo CPU µs | KBS / echo |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  };
}
