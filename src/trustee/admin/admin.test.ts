import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, Unauthorized, fromBase64Url, signJwt, toBase64Url, utf8, fromUtf8 } from '../../core/index.js';
import { createAdminAuthorizer, ensureAdminKeyPair, generateAdminKeyPair, mintAdminToken, type AdminConfig, type IdentityProvider } from './index.js';
import { compileAcls } from './acl.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-admin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = 1_750_000_000_000;
const now = () => NOW;
const keys = generateAdminKeyPair(dir);
const priv = readFileSync(keys.privateKeyPath, 'utf8');
const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const ACLS = [
  { role: 'admin', allowedEndpoints: '^/kbs/.+$' },
  { role: 'uploader', allowedEndpoints: '^/kbs/v0/resource/[^?]+$' },
];
const authenticated = (providers: IdentityProvider[] = [{ publicKeyUri: keys.publicKeyPath }]): AdminConfig => ({
  mode: 'AuthenticatedAuthorization',
  identityProviders: providers,
  acls: ACLS,
});
const auth = createAdminAuthorizer(authenticated(), { now });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const mint = (o: Parameters<typeof mintAdminToken>[1] = {}, key = priv) => mintAdminToken(key, { now: NOW, ...o });

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof Unauthorized && pattern.test(e.message));
}

describe('createAdminAuthorizer', () => {
  test('accepts a valid admin token and returns subject and role', async () => {
    const id = await auth.authorize('POST', '/kbs/v0/resource-policy', bearer(await mint({ subject: 'alice' })));
    assert.deepEqual(id, { subject: 'alice', role: 'admin' });
  });

  test('reads the header through a Fetch Headers object too', async () => {
    const h = new Headers({ Authorization: `Bearer ${await mint()}` });
    assert.equal((await auth.authorize('GET', '/kbs/v0/resource-policy', h)).role, 'admin');
  });

  test('rejects a request without an Authorization header', async () => {
    await rejects(auth.authorize('POST', '/kbs/v0/resource-policy', {}), /missing/);
  });

  test('rejects a non-Bearer scheme', async () => {
    await rejects(auth.authorize('POST', '/kbs/v0/resource-policy', { authorization: `Basic ${await mint()}` }), /missing/);
  });

  test('rejects a token signed by another key (forged)', async () => {
    await rejects(auth.authorize('POST', '/kbs/v0/resource-policy', bearer(await mint({}, other))), /jwt\.signature/);
  });

  test('rejects a token whose payload was changed to claim the admin role', async () => {
    const t = await mint({ role: 'uploader' });
    const [h, p, s] = t.split('.') as [string, string, string];
    const payload = JSON.parse(fromUtf8(fromBase64Url(p)));
    payload.role = 'admin';
    const forged = `${h}.${toBase64Url(utf8(JSON.stringify(payload)))}.${s}`;
    await rejects(auth.authorize('POST', '/kbs/v0/attestation-policy', bearer(forged)), /jwt\.signature/);
  });

  test('rejects a token with one flipped signature byte', async () => {
    const t = await mint();
    const [h, p, s] = t.split('.') as [string, string, string];
    const sig = fromBase64Url(s);
    sig[10] ^= 1;
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(`${h}.${p}.${toBase64Url(sig)}`)), /jwt\.signature/);
  });

  test('rejects an unsigned alg=none token', async () => {
    const h = toBase64Url(utf8(JSON.stringify({ alg: 'none', typ: 'JWT' })));
    const p = toBase64Url(utf8(JSON.stringify({ role: 'admin', exp: NOW / 1000 + 3600 })));
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', { authorization: `Bearer ${h}.${p}.` }), /rejected/);
  });

  test('rejects an expired token', async () => {
    const t = await mint({ now: NOW - 2 * 3600_000, ttlSec: 3600 });
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(t)), /jwt\.exp/);
  });

  test('accepts a token expired by less than the 60 s leeway, like upstream', async () => {
    const t = await mint({ now: NOW - 3630_000, ttlSec: 3600 });
    assert.equal((await auth.authorize('GET', '/kbs/v0/resource-policy', bearer(t))).role, 'admin');
  });

  test('rejects a correctly signed token without exp', async () => {
    const { sign, createPrivateKey } = await import('node:crypto');
    const h = toBase64Url(utf8(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })));
    const p = toBase64Url(utf8(JSON.stringify({ role: 'admin', iat: NOW / 1000 })));
    const sig = new Uint8Array(sign(null, Buffer.from(`${h}.${p}`), createPrivateKey(priv)));
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(`${h}.${p}.${toBase64Url(sig)}`)), /exp/);
  });

  test('rejects a role without an ACL entry for the path (wrong role)', async () => {
    const t = await mint({ role: 'uploader' });
    assert.equal((await auth.authorize('POST', '/kbs/v0/resource/default/key/1', bearer(t))).role, 'uploader');
    await rejects(auth.authorize('POST', '/kbs/v0/attestation-policy', bearer(t)), /role "uploader" may not POST/);
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint({ role: 'nobody' }))), /role "nobody"/);
  });

  test('matches ACLs on the path plus query string', async () => {
    const t = await mint({ role: 'uploader' });
    await rejects(auth.authorize('POST', '/kbs/v0/resource/default/key/1?x=1', bearer(t)), /may not/);
  });

  test('rejects a token without a string role claim', async () => {
    const t = await signJwt({}, priv, { now: NOW, ttlSec: 60 });
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(t)), /role/);
    const n = await signJwt({ role: 7 }, priv, { now: NOW, ttlSec: 60 });
    await rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(n)), /role/);
  });

  test('checks iss and aud when the provider configures them', async () => {
    const a = createAdminAuthorizer(authenticated([{ publicKeyUri: keys.publicKeyPath, issuer: 'TrusteeInDocker', audience: 'KBS' }]), { now });
    const ok = await mint({ issuer: 'TrusteeInDocker', audience: ['KBS', 'other'] });
    assert.equal((await a.authorize('GET', '/kbs/v0/resource-policy', bearer(ok))).role, 'admin');
    await rejects(a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint({ issuer: 'Evil', audience: 'KBS' }))), /iss/);
    await rejects(a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint({ issuer: 'TrusteeInDocker', audience: 'X' }))), /aud/);
    await rejects(a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint({ audience: 'KBS' }))), /iss/);
  });

  test('tries identity providers in order', async () => {
    const otherPub = join(dir, 'other.pub.pem');
    const { createPublicKey } = await import('node:crypto');
    writeFileSync(otherPub, createPublicKey(other).export({ type: 'spki', format: 'pem' }));
    const a = createAdminAuthorizer(authenticated([{ publicKeyUri: keys.publicKeyPath }, { publicKeyUri: `file://${otherPub}` }]), { now });
    assert.equal((await a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint({}, other)))).role, 'admin');
  });

  test('verifies ES256 tokens against a JWK set file selected by kid', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = ec.publicKey.export({ type: 'spki', format: 'der' });
    const jwk = { kty: 'EC', crv: 'P-256', kid: 'k1', alg: 'ES256', x: toBase64Url(der.subarray(27, 59)), y: toBase64Url(der.subarray(59, 91)) };
    const jwksPath = join(dir, 'jwks.json');
    writeFileSync(jwksPath, JSON.stringify({ keys: [jwk] }));
    const a = createAdminAuthorizer(authenticated([{ jwkSetUri: jwksPath }]), { now });
    const ecPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const t = await mint({}, ecPem);
    assert.equal((await a.authorize('GET', '/kbs/v0/resource-policy', bearer(t))).role, 'admin');
    await rejects(a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint())), /rejected/);
  });

  test('fetches an https JWK set through the injected fetch and caches it', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = ec.publicKey.export({ type: 'spki', format: 'der' });
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', alg: 'ES256', x: toBase64Url(der.subarray(27, 59)), y: toBase64Url(der.subarray(59, 91)) }] };
    let calls = 0;
    const fetch = (async () => (calls++, new Response(JSON.stringify(jwks)))) as typeof globalThis.fetch;
    const a = createAdminAuthorizer(authenticated([{ jwkSetUri: 'https://idp.example/jwks' }]), { now, fetch });
    const t = await mint({}, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    await a.authorize('GET', '/kbs/v0/resource-policy', bearer(t));
    await a.authorize('GET', '/kbs/v0/resource-policy', bearer(t));
    assert.equal(calls, 1);
  });

  test('DenyAll rejects even a valid token', async () => {
    const a = createAdminAuthorizer({ mode: 'DenyAll' });
    await rejects(a.authorize('GET', '/kbs/v0/resource-policy', bearer(await mint())), /DenyAll/);
  });

  test('InsecureAllowAll accepts a request without credentials', async () => {
    const a = createAdminAuthorizer({ mode: 'InsecureAllowAll' });
    assert.equal((await a.authorize('POST', '/kbs/v0/resource-policy', {})).role, 'InsecureAllowAll');
  });

  test('a legacy provider grants its role to tokens without a role claim', async () => {
    const a = createAdminAuthorizer(authenticated([{ publicKeyUri: keys.publicKeyPath, legacyRole: 'admin' }]), { now });
    const t = await signJwt({}, priv, { now: NOW, ttlSec: 60 });
    assert.equal((await a.authorize('GET', '/kbs/v0/resource-policy', bearer(t))).role, 'admin');
  });

  test('a missing key file is a ConfigError at creation', () => {
    assert.throws(() => createAdminAuthorizer(authenticated([{ publicKeyUri: join(dir, 'absent.pem') }])), ConfigError);
    assert.throws(() => createAdminAuthorizer(authenticated([{ publicKeyUri: keys.privateKeyPath.replace('.pem', '.nope') }])), ConfigError);
  });

  test('never accepts arbitrary bearer strings (fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_\-.]{0,200}$/), async (s) => {
        await assert.rejects(auth.authorize('GET', '/kbs/v0/resource-policy', bearer(s)), Unauthorized);
      }),
      { numRuns: 100 },
    );
  });
});

describe('compileAcls', () => {
  test('rejects regexes not anchored at ^/kbs ... $', () => {
    for (const bad of ['/kbs/.+$', '^/kbs/.+', '^/.+$', '.*', '^/kbs/.+\\$']) {
      assert.throws(() => compileAcls([{ role: 'a', allowedEndpoints: bad }]), ConfigError, bad);
    }
  });

  test('rejects an invalid regex and an empty role', () => {
    assert.throws(() => compileAcls([{ role: 'a', allowedEndpoints: '^/kbs/(+$' }]), ConfigError);
    assert.throws(() => compileAcls([{ role: '', allowedEndpoints: '^/kbs/.+$' }]), ConfigError);
  });
});

describe('ensureAdminKeyPair', () => {
  test('creates an Ed25519 pair once with a private key readable only by the owner', () => {
    const d = join(dir, 'data');
    const first = ensureAdminKeyPair(d);
    assert.equal(first.created, true);
    assert.equal(statSync(first.privateKeyPath).mode & 0o777, 0o600);
    const pem = readFileSync(first.privateKeyPath, 'utf8');
    assert.match(pem, /BEGIN PRIVATE KEY/);
    const second = ensureAdminKeyPair(d);
    assert.equal(second.created, false);
    assert.equal(readFileSync(second.privateKeyPath, 'utf8'), pem);
  });

  test('generateAdminKeyPair refuses to overwrite without force', () => {
    assert.throws(() => generateAdminKeyPair(dir), ConfigError);
  });
});
