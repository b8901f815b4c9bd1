/**
 * `coco trustee serve --workers 2` as a real process tree (primary + two node:cluster workers) on
 * SQLite in a temp data dir: a sample handshake whose requests land on different workers, admin
 * writes read back on fresh connections, whole-server /metrics, a worker death and a clean stop.
 * Every request goes over a fresh connection, and `/proc` tells which worker held it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decryptJwe, fromUtf8, type FlattenedJwe } from '../../src/core/index.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { parsePrometheusText } from '../support/prometheus-text.js';
import { socketOwner } from '../support/socket-owner.js';
import { ALLOW_RESOURCE_PLUGIN, b64url, sampleAttestation, sampleGuest } from '../support/trustee.js';

const linuxOnly = process.platform === 'linux' ? false : 'reads /proc to see which worker served a connection';

interface Served {
  child: ChildProcess;
  port: number;
  pids: number[];
  dataDir: string;
  output(): string;
  exit: Promise<number | null>;
}

const started: Served[] = [];

async function serveCluster(): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coco-cluster-'));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'trustee', 'serve', '--port', '0', '--data-dir', dataDir, '--workers', '2'], {
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const served = await new Promise<Served>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cluster did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', () => {
      const url = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const pids = /workers: +2 processes \(pids (\d+), (\d+)\)/.exec(out);
      if (url && pids) {
        clearTimeout(timer);
        resolve({ child, port: Number(url[1]), pids: [Number(pids[1]), Number(pids[2])], dataDir, output: () => out, exit });
      }
    });
    void exit.then((code) => (clearTimeout(timer), reject(new Error(`exited ${code} before listening:\n${out}`))));
  });
  started.push(served);
  return served;
}

after(() => {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

interface Answer {
  status: number;
  body: string;
  cookie: string | undefined;
  /** The worker pid that held this request's connection. */
  worker: number | undefined;
}

/** One request on its own connection; the connection is closed once we know which worker held it. */
function call(s: Served, method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  // A keep-alive agent of its own: a fresh connection that stays open until we have looked at it.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers: init.headers ?? {}, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const worker = socketOwner(s.port, req.socket!.localPort!, s.pids);
        agent.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), cookie: res.headers['set-cookie']?.[0]?.split(';')[0], worker });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pids: number[]): Promise<void> {
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
}

const SECRET = 'released-by-some-worker';

describe('coco trustee serve --workers 2', { skip: linuxOnly }, () => {
  let s: Served;
  let admin: Record<string, string>;
  before(async () => {
    s = await serveCluster();
    admin = { authorization: `Bearer ${readFileSync(join(s.dataDir, 'admin-token'), 'utf8')}` };
  });

  test('admin writes a resource and the resource policy, and fresh connections on both workers read them back', async () => {
    assert.equal((await call(s, 'POST', '/kbs/v0/resource/default/test/key', { body: SECRET, headers: admin })).status, 200);
    const policy = await call(s, 'POST', '/kbs/v0/resource-policy', { body: JSON.stringify({ policy: b64url(ALLOW_RESOURCE_PLUGIN) }), headers: admin });
    assert.equal(policy.status, 200, policy.body);
    const readers = new Set<number | undefined>();
    for (let i = 0; i < 6; i++) {
      const list = await call(s, 'GET', '/kbs/v0/resource', { headers: admin });
      assert.equal(list.status, 200, list.body);
      assert.ok(JSON.stringify(JSON.parse(list.body)).includes('default/test/key'), list.body);
      const rego = await call(s, 'GET', '/kbs/v0/resource-policy?format=rego', { headers: admin });
      assert.equal(rego.status, 200, rego.body);
      assert.equal(rego.body, ALLOW_RESOURCE_PLUGIN);
      readers.add(list.worker).add(rego.worker);
    }
    assert.deepEqual([...readers].sort(), [...s.pids].sort(), 'both workers should have served reads');
  });

  test('a sample handshake works when /auth, /attest and the resource GET reach different workers', async () => {
    let crossed = 0;
    for (let i = 0; i < 4; i++) {
      const guest = sampleGuest('P-256');
      const auth = await call(s, 'POST', '/kbs/v0/auth', { body: JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' }) });
      assert.equal(auth.status, 200, auth.body);
      const { nonce } = JSON.parse(auth.body) as { nonce: string };
      const attest = await call(s, 'POST', '/kbs/v0/attest', { body: JSON.stringify(sampleAttestation(guest, nonce)), headers: { cookie: auth.cookie! } });
      assert.equal(attest.status, 200, attest.body);
      const got = await call(s, 'GET', '/kbs/v0/resource/default/test/key', { headers: { cookie: auth.cookie! } });
      assert.equal(got.status, 200, got.body);
      assert.equal(fromUtf8(decryptJwe(JSON.parse(got.body) as FlattenedJwe, guest.privateKey)), SECRET);
      assert.ok(auth.worker && attest.worker && got.worker, 'every connection is held by a worker');
      if (auth.worker !== attest.worker && attest.worker !== got.worker) crossed++;
    }
    assert.ok(crossed > 0, 'no handshake had its requests on different workers');
  });

  test('/metrics on either worker counts the requests of both', async () => {
    const total = async () => {
      const m = await call(s, 'GET', '/metrics');
      assert.equal(m.status, 200, m.body);
      const fams = parsePrometheusText(m.body);
      assert.deepEqual(fams.get('kbs_build_info')!.samples.map((x) => x.value), [1]);
      return { requests: fams.get('kbs_http_requests_total')!.samples[0]!.value, worker: m.worker };
    };
    const start = await total();
    const servedBy = new Map<number | undefined, number>();
    const n = 12;
    for (let i = 0; i < n; i++) {
      const r = await call(s, 'POST', '/kbs/v0/auth', { body: JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' }) });
      assert.equal(r.status, 200);
      servedBy.set(r.worker, (servedBy.get(r.worker) ?? 0) + 1);
    }
    assert.deepEqual([...servedBy.keys()].sort(), [...s.pids].sort(), `requests per worker: ${JSON.stringify([...servedBy])}`);
    const askedFrom = new Set<number | undefined>();
    for (let i = 0; i < 4; i++) {
      const now = await total();
      assert.equal(now.requests - start.requests, n);
      askedFrom.add(now.worker);
    }
    assert.equal(askedFrom.size, 2, 'both workers should have answered /metrics');
  });

  test('SIGTERM to the primary stops both workers and exits 0', async () => {
    const pids = [...s.pids];
    s.child.kill('SIGTERM');
    assert.equal(await s.exit, 0, s.output());
    await waitGone(pids);
    assert.deepEqual(pids.filter(alive), []);
  });
});

describe('coco trustee serve --workers 2 when a worker dies', () => {
  test('the primary stops the other worker and exits non-zero naming the dead one', async () => {
    const s = await serveCluster();
    const [victim, other] = s.pids as [number, number];
    process.kill(victim, 'SIGKILL');
    assert.equal(await s.exit, 5, s.output());
    assert.match(s.output(), new RegExp(`worker \\d+ \\(pid ${victim}\\) exited on SIGKILL; stopped the other workers`));
    await waitGone([other]);
    assert.equal(alive(other), false);
  });
});

describe('coco trustee serve --workers 2 --storage memory', () => {
  test('is refused before any worker starts', async () => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'trustee', 'serve', '--port', '0', '--storage', 'memory', '--workers', '2'], {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    assert.equal(code, 2);
    assert.match(err, /http_server\.worker_count = 2 needs storage that the worker processes share/);
  });
});

describe('coco trustee serve with worker_count = 2 when the workers cannot start', () => {
  test('exits non-zero with the workers\' reason and leaves no worker behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coco-cluster-bad-'));
    try {
      // The primary does not fetch remote JWK sets; each worker does, and fails on an unreachable one.
      const config = [
        '[http_server]', 'sockets = ["127.0.0.1:0"]', 'insecure_http = true', 'worker_count = 2',
        '[admin]', 'authorization_mode = "DenyAll"',
        '[storage_backend]', 'storage_type = "Sqlite"', '[storage_backend.backends.sqlite]', `path = ${JSON.stringify(join(dir, 'kbs.sqlite'))}`,
        '[attestation_token]', 'trusted_jwk_sets = ["https://127.0.0.1:1/jwks"]', '',
      ].join('\n');
      writeFileSync(join(dir, 'kbs-config.toml'), config);
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'trustee', 'serve', '-c', join(dir, 'kbs-config.toml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 5, out);
      assert.match(out, /coco trustee \(worker \d\): attestation_token\.trusted_jwk_sets: .*unreachable/);
      assert.match(out, /cluster worker \d exited with code \d+ before listening/);
      assert.doesNotMatch(out, /listening on/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
