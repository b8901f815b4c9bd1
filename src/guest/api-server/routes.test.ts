import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NotFound, fromUtf8, utf8 } from '../../core/index.js';
import { handleGuestApi, type ApiRequest, type GuestApiBackend } from './routes.js';
import { listenGuestApi } from './server.js';

function backend(over: Partial<GuestApiBackend> = {}): GuestApiBackend & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    version: '0.1.0',
    tee: 'tpm',
    additionalTees: [],
    features: 'all',
    getResource: async (uri) => (calls.push(`res ${uri}`), utf8(`R:${uri}`)),
    getToken: async (t) => (calls.push(`token ${t}`), utf8('{"token":"t","tee_keypair":"k"}')),
    getEvidence: async (rd) => (calls.push(`ev ${Buffer.from(rd).toString('hex')}`), utf8('{"e":1}')),
    getAdditionalEvidence: async () => new Uint8Array(0),
    extendRuntimeMeasurement: async (d, o, c) => (calls.push(`aael ${d} ${o} ${c}`), 'ok'),
    ...over,
  };
}

const req = (url: string, extra: Partial<ApiRequest> = {}): ApiRequest => ({ method: 'GET', url, remoteAddress: '127.0.0.1', body: new Uint8Array(0), ...extra });
const body = (r: { body: Uint8Array }) => fromUtf8(r.body);

describe('handleGuestApi', () => {
  test('refuses non-loopback peers with 403 before touching any backend', async () => {
    for (const remoteAddress of ['10.0.0.5', '::ffff:192.168.1.2', '2001:db8::1', undefined, '128.0.0.1']) {
      const b = backend();
      const r = await handleGuestApi(req('/cdh/resource/default/key/1', { remoteAddress }), b);
      assert.equal(r.status, 403, String(remoteAddress));
      assert.equal(body(r), 'Forbidden');
      assert.deepEqual(b.calls, []);
    }
  });

  test('serves a resource as octets from kbs:///repo/type/tag', async () => {
    const b = backend();
    const r = await handleGuestApi(req('/cdh/resource/default/key/1?ignored=1', { remoteAddress: '::ffff:127.0.0.1' }), b);
    assert.deepEqual([r.status, r.contentType, body(r)], [200, 'application/octet-stream', 'R:kbs:///default/key/1']);
    assert.equal((await handleGuestApi(req('/cdh/resource/a/../b'), b)).status, 404);
    assert.equal((await handleGuestApi(req('/cdh/resource/a/b'), b)).status, 404);
    assert.equal((await handleGuestApi(req('/cdh/resource/a/b/c', { method: 'POST' }), b)).status, 405);
  });

  test('reports backend failures as 500 with a one-line reason', async () => {
    const r = await handleGuestApi(req('/cdh/resource/a/b/c'), backend({ getResource: async () => { throw new NotFound('GET /kbs/v0/resource/a/b/c: HTTP 404'); } }));
    assert.deepEqual([r.status, body(r)], [500, 'ERR_NOT_FOUND: GET /kbs/v0/resource/a/b/c: HTTP 404']);
  });

  test('passes runtime_data bytes as-is, or URL-safe base64 decoded, and refuses other encodings', async () => {
    const b = backend();
    assert.equal((await handleGuestApi(req('/aa/evidence?runtime_data=abc'), b)).status, 200);
    assert.equal((await handleGuestApi(req('/aa/evidence?runtime_data=_-8&encoding=base64'), b)).status, 200);
    assert.deepEqual(b.calls, ['ev 616263', 'ev ffef']);
    assert.equal((await handleGuestApi(req('/aa/evidence?runtime_data=abc&encoding=hex'), b)).status, 400);
    assert.equal((await handleGuestApi(req('/aa/evidence'), b)).status, 400);
    assert.equal((await handleGuestApi(req('/aa/additional-evidence?runtime_data=x'), b)).status, 200);
  });

  test('returns the token JSON and requires token_type', async () => {
    const b = backend();
    assert.equal(body(await handleGuestApi(req('/aa/token?token_type=kbs'), b)), '{"token":"t","tee_keypair":"k"}');
    assert.equal((await handleGuestApi(req('/aa/token'), b)).status, 400);
  });

  test('extends runtime measurements through POST /aa/aael with upstream answers', async () => {
    const post = (o: unknown) => req('/aa/aael', { method: 'POST', body: utf8(JSON.stringify(o)) });
    const b = backend();
    assert.equal(body(await handleGuestApi(post({ domain: 'd', operation: 'o', content: 'c' }), b)), '{"success":"true"}');
    assert.deepEqual(b.calls, ['aael d o c']);
    const off = backend({ extendRuntimeMeasurement: async () => 'not-enabled' });
    assert.deepEqual(JSON.parse(body(await handleGuestApi(post({ domain: 'd', operation: 'o', content: 'c' }), off))), {
      success: 'false',
      message: 'Attestation Agent does not enable eventlog recording',
    });
    assert.equal((await handleGuestApi(post({ domain: 'd' }), b)).status, 400);
    assert.equal((await handleGuestApi(req('/aa/aael', { method: 'POST', body: utf8('{') }), b)).status, 400);
    assert.equal((await handleGuestApi(req('/aa/aael'), b)).status, 405);
  });

  test('answers /info and honours the feature switch', async () => {
    assert.deepEqual(JSON.parse(body(await handleGuestApi(req('/info'), backend({ additionalTees: ['nvidia'] })))), {
      version: '0.1.0',
      tee: 'tpm',
      additional_tees: ['nvidia'],
      feature: 'all',
    });
    assert.equal(body(await handleGuestApi(req('/aa/token?token_type=kbs'), backend({ features: 'resource' }))), 'Attestation Feature Not Enabled');
    assert.equal(body(await handleGuestApi(req('/cdh/resource/a/b/c'), backend({ features: 'attestation' }))), 'Resource Feature Not Enabled');
    assert.equal((await handleGuestApi(req('/info', { method: 'POST' }), backend())).status, 405);
    assert.equal(body(await handleGuestApi(req('/nope'), backend())), 'URL NOT FOUND');
  });

  test('never throws and never calls a backend for a non-loopback peer, whatever the URL', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.constantFrom('GET', 'POST', 'PUT'), async (url, method) => {
        const b = backend();
        const r = await handleGuestApi(req(`/${url}`, { method, remoteAddress: '192.0.2.1' }), b);
        assert.equal(r.status, 403);
        const r2 = await handleGuestApi(req(`/${url}`, { method }), b);
        assert.ok([200, 400, 404, 405, 500].includes(r2.status));
      }),
      { numRuns: 200 },
    );
  });
});

describe('listenGuestApi', () => {
  test('serves over real HTTP on 127.0.0.1 with the socket peer address', async () => {
    const api = await listenGuestApi(backend(), '127.0.0.1', 0);
    try {
      const r = await fetch(`${api.url}/cdh/resource/default/key/1`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'R:kbs:///default/key/1');
      const big = await fetch(`${api.url}/aa/aael`, { method: 'POST', body: 'x'.repeat(70_000) });
      assert.equal(big.status, 413);
    } finally {
      await api.close();
    }
  });
});
