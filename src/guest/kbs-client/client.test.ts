import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { FakeKbs } from '../../../test/support/fake-kbs.js';
import { canonicalize, digest, encryptJwe, generateTeeKeyPair, toBase64, utf8 } from '../../core/index.js';
import { sampleAttester } from '../attester/sample.js';
import { KbsClient } from './client.js';
import { nodeFetch } from './http.js';
import { instantRetry } from './retry.js';

const secret = utf8('top secret bytes');

function clientFor(kbs: FakeKbs, extra: Partial<ConstructorParameters<typeof KbsClient>[0]> = {}): KbsClient {
  return new KbsClient({ kbsUrl: 'http://kbs.test:8080/', fetch: kbs.fetch, attester: sampleAttester(), retry: instantRetry(), ...extra });
}

describe('KbsClient.getResource', () => {
  test('attests with the sample attester and decrypts the released resource', async () => {
    const kbs = new FakeKbs({ resources: { 'default/key/1': secret } });
    assert.deepEqual(await clientFor(kbs).getResource('kbs:///default/key/1'), secret);
  });

  test('sends RCAR bodies with exactly the shapes of guest-components §2.1', async () => {
    const kbs = new FakeKbs({ resources: { 'default/key/1': secret } });
    const toml = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n';
    await clientFor(kbs, { initDataToml: toml }).getResource('kbs:///default/key/1');
    const [auth] = kbs.bodies('/kbs/v0/auth') as [Record<string, unknown>];
    assert.deepEqual(auth, { version: '0.4.0', tee: 'sample', 'extra-params': { 'supported-hash-algorithms': ['sha256', 'sha384', 'sha512', 'sm3'] } });
    const [att] = kbs.bodies('/kbs/v0/attest') as [Record<string, any>];
    assert.deepEqual(Object.keys(att).sort(), ['init-data', 'runtime-data', 'tee-evidence']);
    assert.deepEqual(att['init-data'], { format: 'toml', body: toml });
    assert.deepEqual(Object.keys(att['runtime-data']).sort(), ['nonce', 'tee-pubkey']);
    const pub = att['runtime-data']['tee-pubkey'];
    assert.deepEqual(Object.keys(pub).sort(), ['alg', 'crv', 'kty', 'x', 'y']);
    assert.equal(pub.alg, 'ECDH-ES+A256KW');
    assert.equal(pub.crv, 'P-256');
    assert.deepEqual(Object.keys(att['tee-evidence']).sort(), ['additional_evidence', 'primary_evidence']);
    assert.equal(att['tee-evidence'].additional_evidence, '');
    // report data = SHA-384(JCS({additional-evidence, nonce, tee-pubkey})), computed independently here
    const hashed = `{"additional-evidence":"","nonce":${JSON.stringify(att['runtime-data'].nonce)},"tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"${pub.x}","y":"${pub.y}"}}`;
    assert.equal(canonicalize({ 'additional-evidence': '', nonce: att['runtime-data'].nonce, 'tee-pubkey': pub }), hashed);
    assert.deepEqual(att['tee-evidence'].primary_evidence, { svn: '1', report_data: toBase64(digest('sha384', utf8(hashed))) });
  });

  test('sends init-data null when no initdata is configured', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret } });
    await clientFor(kbs).getResource('a/b/c');
    assert.equal((kbs.bodies('/kbs/v0/attest')[0] as Record<string, unknown>)['init-data'], null);
  });

  for (const alg of ['ECDH-ES+A256KW-P521', 'RSA-OAEP-256'] as const) {
    test(`works with a ${alg} TEE key`, async () => {
      const kbs = new FakeKbs({ resources: { 'a/b/c': secret } });
      assert.deepEqual(await clientFor(kbs, { teeKeyAlgorithm: alg }).getResource('kbs:///a/b/c'), secret);
      const pub = (kbs.bodies('/kbs/v0/attest')[0] as any)['runtime-data']['tee-pubkey'];
      assert.equal(pub.alg, alg === 'RSA-OAEP-256' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW');
    });
  }

  test('gives up at once on 404 without retrying', async () => {
    const kbs = new FakeKbs();
    await assert.rejects(clientFor(kbs).getResource('kbs:///a/b/missing'), { code: 'ERR_NOT_FOUND' });
    assert.equal(kbs.requests.filter((r) => r.method === 'GET').length, 1);
  });

  test('re-attests once when the session was lost (401) and then succeeds', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret } });
    const c = clientFor(kbs);
    await c.getResource('a/b/c');
    kbs.sessions.clear();
    assert.deepEqual(await c.getResource('a/b/c'), secret);
    assert.equal(kbs.bodies('/kbs/v0/auth').length, 2);
  });

  test('is refused after 3 attempts when policy denies, re-attesting in between', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret }, allow: () => false });
    await assert.rejects(clientFor(kbs).getResource('a/b/c'), (err: any) => err.code === 'ERR_UNAUTHORIZED' && /PolicyDeny/.test(err.message));
    assert.equal(kbs.requests.filter((r) => r.method === 'GET').length, 3);
    assert.equal(kbs.bodies('/kbs/v0/auth').length, 3);
  });

  test('retries 5xx with the injected delay and succeeds when the KBS recovers', async () => {
    const delays: number[] = [];
    let gets = 0;
    const kbs: FakeKbs = new FakeKbs({
      resources: { 'a/b/c': secret },
      intercept: (req) => (req.method === 'GET' && ++gets < 3 ? new Response('oops', { status: 503 }) : undefined),
    });
    const c = clientFor(kbs, { retry: instantRetry({ delayMs: (i) => i * 10, sleep: async (ms) => void delays.push(ms) }) });
    assert.deepEqual(await c.getResource('a/b/c'), secret);
    assert.deepEqual(delays, [10, 20]);
  });

  test('reports Unavailable after 3 attempts of persistent 500s', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret }, intercept: (req) => (req.method === 'GET' ? new Response('{"type":"x/PluginInternalError","detail":"boom"}', { status: 500 }) : undefined) });
    await assert.rejects(clientFor(kbs).getResource('a/b/c'), (err: any) => err.code === 'ERR_UNAVAILABLE' && /after 3 attempts.*PluginInternalError: boom/.test(err.message));
  });

  test('refuses a JWE wrapped to another key', async () => {
    const other = generateTeeKeyPair('P-256');
    const kbs = new FakeKbs({
      resources: { 'a/b/c': secret },
      intercept: (req) => (req.method === 'GET' ? new Response(JSON.stringify(encryptJwe(secret, other.jwk)), { status: 200 }) : undefined),
    });
    await assert.rejects(clientFor(kbs).getResource('a/b/c'), (err: any) => err.code === 'ERR_VERIFICATION_FAILED' && err.check.startsWith('jwe.'));
  });

  test('reports malformed resource responses as MalformedInput', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret }, intercept: (req) => (req.method === 'GET' ? new Response('{not json', { status: 200 }) : undefined) });
    await assert.rejects(clientFor(kbs).getResource('a/b/c'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('KbsClient.attest', () => {
  test('tries the handshake 5 times on a malformed challenge and keeps the reason', async () => {
    let sleeps = 0;
    const kbs = new FakeKbs({ intercept: (req) => (req.path.endsWith('/auth') ? new Response('<html>', { status: 200 }) : undefined) });
    const c = clientFor(kbs, { retry: instantRetry({ sleep: async () => void sleeps++ }) });
    await assert.rejects(c.attest(), (err: any) => err.code === 'ERR_MALFORMED_INPUT' && /after 5 attempts/.test(err.message));
    assert.equal(kbs.bodies('/kbs/v0/auth').length, 5);
    assert.equal(sleeps, 4);
  });

  test('reuses an unexpired token and re-attests once it expires', async () => {
    const kbs = new FakeKbs({ tokenSeconds: 60 });
    let now = new Date();
    const c = clientFor(kbs, { now: () => now });
    const t1 = await c.getToken();
    assert.equal(await c.getToken(), t1);
    now = new Date(now.getTime() + 61_000);
    await c.getToken();
    assert.equal(kbs.bodies('/kbs/v0/auth').length, 2);
  });
});

describe('KbsClient over real sockets', () => {
  test('KBS down: connection refused gives Unavailable after bounded attempts', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const c = new KbsClient({ kbsUrl: `http://127.0.0.1:${port}`, fetch: nodeFetch(), attester: sampleAttester(), retry: instantRetry() });
    await assert.rejects(c.getResource('a/b/c'), (err: any) => err.code === 'ERR_UNAVAILABLE' && /after 5 attempts/.test(err.message));
  });

  test('a KBS that never answers times out instead of hanging', async () => {
    const sockets: Socket[] = [];
    const srv = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    const c = new KbsClient({ kbsUrl: `http://127.0.0.1:${port}`, fetch: nodeFetch({ timeoutMs: 100 }), attester: sampleAttester(), retry: instantRetry({ rcarAttempts: 2 }) });
    const t0 = Date.now();
    await assert.rejects(c.attest(), (err: any) => err.code === 'ERR_UNAVAILABLE' && /within 100 ms/.test(err.message));
    assert.ok(Date.now() - t0 < 3000);
    assert.equal(sockets.length, 2);
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => srv.close(() => r()));
  });

  test('fetches a resource through a real HTTP fake KBS with the session cookie', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': secret } });
    const { url, close } = await kbs.listen();
    try {
      const c = new KbsClient({ kbsUrl: url, fetch: nodeFetch(), attester: sampleAttester(), retry: instantRetry() });
      assert.deepEqual(await c.getResource('kbs:///a/b/c'), secret);
      assert.match(kbs.requests.find((r) => r.method === 'GET')!.headers.cookie ?? '', /^kbs-session-id=/);
    } finally {
      await close();
    }
  });
});
