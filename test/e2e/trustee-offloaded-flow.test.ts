/**
 * The sample flow over real HTTP with the public-key work always offloaded, as a loaded server runs it:
 * releases and token signatures on the native crypto thread (P-256) or the worker (P-384, P-521), the
 * token coming back as an external string, and the first P-256 release after an attestation sealed
 * from the release prepared with its token. jose decrypts the releases and verifies the tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt, importJWK, jwtVerify } from 'jose';
import { p256NativeThread } from '../../src/core/index.js';
import { listen } from '../../src/trustee/server.js';
import type { Listening } from '../../src/trustee/http/adapter.js';
import { httpTrustee, sampleGuest, startTestTrustee, type TestTrustee } from '../support/trustee.js';

let t: TestTrustee;
let server: Listening;
const { http, handshake, seed } = httpTrustee(() => server.url);

before(async () => {
  if (!p256NativeThread() && process.env.CI === 'true') throw new Error('CI must not skip: the native addon with its crypto thread is not built');
  // Offload from the first job (a loaded server's mode), with the real clock: jose checks exp and iat.
  t = await startTestTrustee({ cryptoThread: { busyAbove: 0 }, now: () => new Date() });
  server = await listen(t.trustee, { port: 0 });
  await seed('offloaded');
});

after(async () => {
  await server.close();
  await t.trustee.close();
});

describe('sample TEE over HTTP, public-key work offloaded', () => {
  test('releases JWEs that jose decrypts for every key type, and signs tokens that jose verifies', async () => {
    const before = t.trustee.context.crypto.offloaded;
    const key = await importJWK({ ...t.trustee.signer.jwk }, 'ES256');
    for (const kind of ['P-256', 'P-384', 'P-521', 'RSA'] as const) {
      const guest = sampleGuest(kind);
      const { cookie, token } = await handshake(guest);
      const { payload } = await jwtVerify(token, key);
      assert.equal((payload as { submods: { cpu0: Record<string, unknown> } }).submods.cpu0['ear.status'], 'affirming');
      // Twice: the first P-256 release uses the one prepared with the token, the second is made anew.
      for (const round of [1, 2]) {
        const res = await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } });
        assert.equal(res.status, 200, res.text);
        const { plaintext } = await flattenedDecrypt(JSON.parse(res.text), guest.privateKey);
        assert.equal(Buffer.from(plaintext).toString(), 'offloaded', `${kind}, release ${round}`);
      }
    }
    // Four signatures (the P-256 one preparing its release) and five EC releases went to another
    // thread: the first P-256 release was sealed here from the prepared one, the RSA releases stayed.
    assert.equal(t.trustee.context.crypto.offloaded - before, 9);
  });

  test('a session attested again answers its stored token; that token works as a bearer token, an altered copy does not', async () => {
    const guest = sampleGuest();
    const { cookie, token } = await handshake(guest);
    const auth = await http('POST', '/kbs/v0/attest', { body: {}, headers: { cookie } });
    assert.equal(auth.status, 200, auth.text);
    assert.equal((JSON.parse(auth.text) as { token: string }).token, token);
    const ok = await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200, ok.text);
    const [h, p, s] = token.split('.');
    const altered = `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal((await http('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${altered}` } })).status, 401);
  });
});
