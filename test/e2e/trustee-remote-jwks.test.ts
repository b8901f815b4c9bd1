/**
 * `[attestation_token] trusted_jwk_sets` with an https URL, through runTrustee (the path of
 * `coco trustee serve`): an identity provider on 127.0.0.1 publishes an OpenID discovery document and
 * a JWK set; a token it signs (ES256, header kid, tee-pubkey claim) releases a resource over real HTTP,
 * encrypted to that tee-pubkey; a token with an unknown kid or a foreign signature is refused; keys the
 * provider rotates in and out are followed without a restart, and its outage keeps the last keys.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt, type FlattenedJWE } from 'jose';
import { publicJwkOf } from '../../src/core/index.js';
import type { RunningTrustee } from '../../src/trustee/index.js';
import { MEMORY_STORAGE, runLocalTrustee } from '../support/local-trustee.js';
import { answer, startHttpsRoutes, type HttpsRoutes } from '../support/https-routes.js';
import { requireTools } from '../support/system-tools.js';
import { makeTestCa } from '../support/test-ca.js';
import { ALLOW_RESOURCE_PLUGIN, b64url, sampleGuest, type SampleGuest } from '../support/trustee.js';

const SKIP = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-remote-jwks-'));
const idpKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
let idp: HttpsRoutes;
let running: RunningTrustee;
const logged: string[] = [];

/** A compact ES256 JWS as an identity provider (e.g. Intel Trust Authority) would issue it. */
function idpToken(key: KeyObject, kid: string, guest: SampleGuest): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  const payload = b64url(JSON.stringify({ iss: 'test-idp', iat: now, exp: now + 300, 'tee-pubkey': guest.teePubKey }));
  const sig = sign('sha256', Buffer.from(`${header}.${payload}`), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return `${header}.${payload}.${sig}`;
}

before(async () => {
  if (SKIP) return;
  const ca = makeTestCa();
  idp = await startHttpsRoutes(ca);
  idp.route('/.well-known/openid-configuration', answer(200, { issuer: idp.origin, jwks_uri: `${idp.origin}/certs` }));
  idp.route('/certs', answer(200, { keys: [{ ...publicJwkOf(idpKey), alg: 'ES256', use: 'sig', kid: 'idp-1' }] }));
  running = await runLocalTrustee([...MEMORY_STORAGE, '[attestation_token]', `trusted_jwk_sets = ["${idp.origin}"]`], dir, {
    jwkSets: { extraCaPem: ca.caPem, minGapMs: 0 },
    log: (line) => logged.push(line),
  });
  const kbs = `${running.listening.url}/kbs/v0`;
  assert.equal((await fetch(`${kbs}/resource/default/idp/secret`, { method: 'POST', body: 'from-the-idp-path' })).status, 200);
  assert.equal((await fetch(`${kbs}/resource-policy`, { method: 'POST', body: JSON.stringify({ policy: b64url(ALLOW_RESOURCE_PLUGIN) }) })).status, 200);
});
after(async () => {
  await running?.close();
  await idp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Trustee with a remote JWK set', { skip: SKIP }, () => {
  const nextKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const get = (token: string) => fetch(`${running.listening.url}/kbs/v0/resource/default/idp/secret`, { headers: { authorization: `Bearer ${token}` } });

  test('fetched the discovery document and the JWK set once, at startup', () => {
    assert.equal(idp.hits('/'), 1); // the URL itself is tried as a JWK set first (404 here)
    assert.equal(idp.hits('/.well-known/openid-configuration'), 1);
    assert.equal(idp.hits('/certs'), 1);
  });

  test('releases a resource to a bearer token signed by the key with that kid, encrypted to its tee-pubkey', async () => {
    const guest = sampleGuest();
    const res = await get(idpToken(idpKey, 'idp-1', guest));
    assert.equal(res.status, 200, await res.clone().text());
    const { plaintext } = await flattenedDecrypt((await res.json()) as FlattenedJWE, guest.privateKey);
    assert.equal(Buffer.from(plaintext).toString(), 'from-the-idp-path');
    assert.equal(idp.hits('/certs'), 1); // no fetch per request
  });

  test('refuses a token whose kid is not in the set, and one with the right kid but another signer', async () => {
    const guest = sampleGuest();
    const unknown = await get(idpToken(idpKey, 'idp-2', guest));
    assert.equal(unknown.status, 401);
    const a = (await unknown.json()) as { type: string; detail: string };
    assert.match(a.type, /TokenVerifierError/);
    assert.match(a.detail, /kid "idp-2"/);
    const forger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = await get(idpToken(forger, 'idp-1', guest));
    assert.equal(forged.status, 401);
    const b = (await forged.json()) as { type: string; detail: string };
    assert.match(b.type, /TokenVerifierError/);
    assert.match(b.detail, /signature/);
  });

  test('trusts a key rotated in at the provider on first use, and stops trusting one rotated out', async () => {
    const guest = sampleGuest();
    const jwk = (key: KeyObject, kid: string) => ({ ...publicJwkOf(key), alg: 'ES256', use: 'sig', kid });
    idp.route('/certs', answer(200, { keys: [jwk(idpKey, 'idp-1'), jwk(nextKey, 'idp-next')] }));
    const before = idp.hits('/certs');
    const res = await get(idpToken(nextKey, 'idp-next', guest));
    assert.equal(res.status, 200, await res.clone().text());
    const { plaintext } = await flattenedDecrypt((await res.json()) as FlattenedJWE, guest.privateKey);
    assert.equal(Buffer.from(plaintext).toString(), 'from-the-idp-path');
    assert.equal(idp.hits('/certs'), before + 1); // the unknown kid made one reload
    assert.equal((await get(idpToken(nextKey, 'idp-next', guest))).status, 200);
    assert.equal(idp.hits('/certs'), before + 1); // a known kid does not

    idp.route('/certs', answer(200, { keys: [jwk(nextKey, 'idp-next')] }));
    assert.equal(await running.refreshJwkSets!(), true);
    const old = await get(idpToken(idpKey, 'idp-1', guest));
    assert.equal(old.status, 401);
    assert.match(((await old.json()) as { detail: string }).detail, /kid "idp-1"/);
  });

  test('keeps the last keys while the provider is down, and says so in the log', async () => {
    const guest = sampleGuest();
    idp.route('/certs', answer(503, 'maintenance'));
    idp.route('/.well-known/openid-configuration', answer(503, 'maintenance'));
    const logs = logged.length;
    assert.equal(await running.refreshJwkSets!(), false);
    assert.equal(logged.length, logs + 1);
    assert.match(logged.at(-1)!, /trusted JWK sets not reloaded, the last loaded keys stay trusted: .*HTTP 503/);
    const res = await get(idpToken(nextKey, 'idp-next', guest));
    assert.equal(res.status, 200, await res.text());
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    assert.equal((await get(idpToken(stranger, 'idp-unknown', guest))).status, 401);
    assert.equal(logged.length, logs + 2); // the unknown kid tried a reload, which failed the same way
  });
});
