/**
 * Full sample-TEE flows over real HTTP on loopback: auth → attest → resource GET, the JWE decrypted by
 * the independent `jose` implementation for every supported key type; the bearer-token flow; init-data.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt, decodeJwt } from 'jose';
import { listen } from '../../src/trustee/server.js';
import type { Listening } from '../../src/trustee/http/adapter.js';
import {
  sampleGuest,
  sha256Hex,
  httpTrustee,
  startTestTrustee,
  type TestTrustee,
} from '../support/trustee.js';

let t: TestTrustee;
let server: Listening;

const { http, handshake, seed } = httpTrustee(() => server.url);

before(async () => {
  t = await startTestTrustee();
  server = await listen(t.trustee, { port: 0 });
  await seed('shhhhhhh');
});

after(async () => {
  await server.close();
  await t.trustee.close();
});

describe('sample TEE over HTTP', () => {
  for (const kind of ['P-256', 'P-384', 'P-521', 'RSA'] as const) {
    test(`releases the secret as a JWE that jose decrypts with a ${kind} TEE key`, async () => {
      const guest = sampleGuest(kind);
      const { cookie } = await handshake(guest);
      const res = await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } });
      assert.equal(res.status, 200, res.text);
      assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{16}$/);
      const jwe = JSON.parse(res.text);
      const header = JSON.parse(Buffer.from(jwe.protected, 'base64url').toString());
      assert.equal(header.enc, 'A256GCM');
      assert.equal(header.alg, kind === 'RSA' ? 'RSA-OAEP-256' : 'ECDH-ES+A256KW');
      const { plaintext } = await flattenedDecrypt(jwe, guest.privateKey);
      assert.equal(Buffer.from(plaintext).toString(), 'shhhhhhh');
    });
  }

  test('issues an affirming EAR token with the upstream claim layout', async () => {
    const guest = sampleGuest();
    const { token } = await handshake(guest);
    const claims = decodeJwt(token) as any;
    const cpu0 = claims.submods.cpu0;
    assert.equal(cpu0['ear.status'], 'affirming');
    assert.deepEqual(cpu0['ear.trustworthiness-vector'], {
      'instance-identity': 0, configuration: 2, executables: 3, 'file-system': 0, hardware: 2, 'runtime-opaque': 0, 'storage-opaque': 0, 'sourced-data': 0,
    });
    assert.equal(cpu0['ear.veraison.annotated-evidence'].sample.svn, '1');
    assert.deepEqual(cpu0['ear.veraison.annotated-evidence'].runtime_data_claims['tee-pubkey'], guest.teePubKey);
    assert.equal(claims.exp - claims.iat, 300);
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.deepEqual(header.jwk, t.trustee.signer.jwk);
  });

  test('releases with Authorization: Bearer <token> and no cookie', async () => {
    const guest = sampleGuest();
    const { token } = await handshake(guest);
    const res = await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
    const { plaintext } = await flattenedDecrypt(JSON.parse(res.text), guest.privateKey);
    assert.equal(Buffer.from(plaintext).toString(), 'shhhhhhh');
  });

  test('refuses a bearer token whose signature was tampered with', async () => {
    const { token } = await handshake(sampleGuest());
    const [h, p, s] = token.split('.');
    const bad = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    const res = await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${bad}` } });
    assert.equal(res.status, 401);
    assert.match(JSON.parse(res.text).type, /TokenVerifierError$/);
  });

  test('accepts init-data and shows it in the token', async () => {
    const initData = [
      'version = "0.1.0"',
      'algorithm = "sha256"',
      '[data]',
      '"aa.toml" = \'\'\'',
      '[token_configs.kbs]',
      'url = "http://127.0.0.1:8080"',
      "'''",
      '',
    ].join('\n');
    const { token } = await handshake(sampleGuest(), initData);
    const evidence = (decodeJwt(token) as any).submods.cpu0['ear.veraison.annotated-evidence'];
    assert.equal(Buffer.from(evidence.init_data, 'base64').toString('hex'), sha256Hex(initData));
    assert.deepEqual(evidence.init_data_claims, { 'aa.toml': { token_configs: { kbs: { url: 'http://127.0.0.1:8080' } } } });
  });

  test('answers /healthz and leaves a request id on every response', async () => {
    const res = await http('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-request-id'));
  });
});

describe('HTTP edge', () => {
  function raw(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const u = new URL(server.url);
      const req = httpRequest({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('refuses a body over the limit with 413 PayloadTooLarge without buffering it', async () => {
    const res = await raw('POST', '/kbs/v0/auth', Buffer.alloc(3 * 1024 * 1024, 0x20), { 'content-type': 'application/json' });
    assert.equal(res.status, 413);
    assert.match(JSON.parse(res.body).type, /PayloadTooLarge$/);
  });

  for (const path of ['/kbs/v0/resource/default/../secret', '/kbs/v0/resource/default/test%2F..%2Fsecret', '/kbs/v0/resource/default//secret']) {
    test(`refuses the raw path ${path} over HTTP`, async () => {
      const guest = sampleGuest();
      const { token } = await handshake(guest);
      const res = await raw('GET', path, undefined, { authorization: `Bearer ${token}` });
      assert.equal(res.status, 401);
      assert.match(JSON.parse(res.body).type, /PluginInternalError$/);
    });
  }
});
