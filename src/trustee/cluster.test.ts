import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, decryptJwe, fromUtf8, type FlattenedJwe } from '../core/index.js';
import { ALLOW_RESOURCE_PLUGIN, SAMPLE_AFFIRMING_RVS, b64url, sampleAttestation, sampleGuest, sampleRvMessage } from '../../test/support/trustee.js';
import { forkTrusteeWorkers, receiveClusterSetup, type TrusteeCluster } from './cluster.js';
import { SqliteStore } from './storage/sqlite.js';

const WORKER = fileURLToPath(new URL('../../test/support/cluster-worker.ts', import.meta.url));
const SECRET = 'shared-across-workers';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Answer {
  status: number;
  body: string;
  worker: string;
  cookie: string | undefined;
}

/** One request on a fresh connection, so the cluster may hand it to any worker. */
function call(port: number, method: string, path: string, body?: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { connection: 'close' };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          worker: String(res.headers['x-test-worker']),
          cookie: res.headers['set-cookie']?.[0]?.split(';')[0],
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function startCluster(mode: 'shared' | 'private-sessions'): Promise<TrusteeCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'trustee-cluster-'));
  dirs.push(dir);
  const statePath = join(dir, 'state.sqlite');
  await new SqliteStore({ path: statePath }).close();
  const c = await forkTrusteeWorkers({ workers: 2, exec: WORKER, args: [statePath, mode], execArgv: ['--import', 'tsx'], startTimeoutMs: 30_000 });
  const admin = async (path: string, body: string) => assert.equal((await call(c.port, 'POST', path, body)).status, 200);
  await admin('/kbs/v0/resource-policy', JSON.stringify({ policy: b64url(ALLOW_RESOURCE_PLUGIN) }));
  await admin('/kbs/v0/reference-value', JSON.stringify(sampleRvMessage(SAMPLE_AFFIRMING_RVS)));
  await admin('/kbs/v0/resource/default/test/key', SECRET);
  return c;
}

async function handshake(port: number) {
  const guest = sampleGuest('P-256');
  const auth = await call(port, 'POST', '/kbs/v0/auth', JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' }));
  assert.equal(auth.status, 200, auth.body);
  const nonce = (JSON.parse(auth.body) as { nonce: string }).nonce;
  const attest = await call(port, 'POST', '/kbs/v0/attest', JSON.stringify(sampleAttestation(guest, nonce)), auth.cookie);
  const resource = attest.status === 200 ? await call(port, 'GET', '/kbs/v0/resource/default/test/key', undefined, auth.cookie) : undefined;
  return { guest, auth, attest, resource };
}

describe('forkTrusteeWorkers', () => {
  test('a session created on one worker attests and fetches a resource on another', async () => {
    const c = await startCluster('shared');
    try {
      assert.equal(c.workers.length, 2);
      let authToAttest = 0;
      let attestToResource = 0;
      for (let i = 0; i < 6; i++) {
        const h = await handshake(c.port);
        assert.equal(h.attest.status, 200, h.attest.body);
        assert.equal(h.resource?.status, 200, h.resource?.body);
        // The token was signed by the attesting worker and verified by the releasing one.
        assert.equal(fromUtf8(decryptJwe(JSON.parse(h.resource!.body) as FlattenedJwe, h.guest.privateKey)), SECRET);
        if (h.auth.worker !== h.attest.worker) authToAttest++;
        if (h.attest.worker !== h.resource!.worker) attestToResource++;
      }
      assert.ok(authToAttest > 0, 'no handshake crossed workers between auth and attest');
      assert.ok(attestToResource > 0, 'no handshake crossed workers between attest and resource');
    } finally {
      await c.close();
    }
  });

  test('without a shared session store a session does not cross workers (the control)', async () => {
    const c = await startCluster('private-sessions');
    try {
      const crossed: number[] = [];
      for (let i = 0; i < 6; i++) {
        const h = await handshake(c.port);
        if (h.auth.worker !== h.attest.worker) crossed.push(h.attest.status);
      }
      assert.ok(crossed.length > 0, 'no request crossed workers');
      assert.ok(crossed.every((s) => s === 401), `statuses of crossing attests: ${crossed.join(',')}`);
    } finally {
      await c.close();
    }
  });

  test('removes the session directory on close', async () => {
    const c = await startCluster('shared');
    assert.ok(existsSync(c.sessionDbPath));
    await c.close();
    assert.ok(!existsSync(dirname(c.sessionDbPath)));
    assert.ok(c.workers.every((w) => w.isDead()));
    // Nobody listens any more.
    await assert.rejects(call(c.port, 'GET', '/healthz'));
  });

  test('refuses a worker count that is not a positive integer', async () => {
    await assert.rejects(forkTrusteeWorkers({ workers: 0 }), ConfigError);
    await assert.rejects(forkTrusteeWorkers({ workers: 1.5 }), ConfigError);
  });
});

describe('receiveClusterSetup', () => {
  test('refuses to run outside a cluster worker', async () => {
    await assert.rejects(receiveClusterSetup(), ConfigError);
  });
});
