/**
 * The KBS failure matrix, in process: each failure gives the documented status and error body, leaves
 * the store unchanged and leaves an audit record naming the check that failed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromUtf8 } from '../../core/index.js';
import type { Namespace } from '../storage/kv.js';
import {
  ALLOW_RESOURCE_PLUGIN,
  DENY_ALL,
  b64url,
  cookieOf,
  sampleAttestation,
  sampleGuest,
  startTestTrustee,
  type TestTrustee,
} from '../../../test/support/trustee.js';

const STATE: Namespace[] = ['kbs', 'repository', 'kbs_protocol_session', 'attestation_service_policy', 'reference_value'];
const ERR = 'https://github.com/confidential-containers/kbs/errors/';

async function snapshot(t: TestTrustee): Promise<string> {
  const out: Record<string, Record<string, string>> = {};
  for (const ns of STATE) {
    out[ns] = {};
    for (const k of await t.store.list(ns)) out[ns][k] = fromUtf8((await t.store.get(ns, k))!);
  }
  return JSON.stringify(out);
}

async function lastAudit(t: TestTrustee) {
  const res = await t.call('GET', '/kbs/v0/audit?limit=1');
  assert.equal(res.status, 200);
  return res.json()[0];
}

async function setup(opts: Parameters<typeof startTestTrustee>[0] = {}) {
  const t = await startTestTrustee(opts);
  await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_RESOURCE_PLUGIN) } });
  await t.call('POST', '/kbs/v0/resource/default/test/secret', { raw: 'shhhhhhh' });
  return t;
}

async function auth(t: TestTrustee) {
  const res = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample', 'extra-params': '' } });
  assert.equal(res.status, 200);
  return { cookie: cookieOf(res), nonce: res.json().nonce as string };
}

/** Run `fn`, assert the wire error, the unchanged store and the audit check. */
async function expectFailure(t: TestTrustee, fn: () => Promise<{ status: number; json(): any }>, status: number, variant: string, check: string) {
  const before = await snapshot(t);
  const res = await fn();
  assert.equal(res.status, status);
  const body = res.json();
  assert.equal(body.type, ERR + variant);
  assert.equal(typeof body.detail, 'string');
  assert.equal(await snapshot(t), before, 'store changed');
  const rec = await lastAudit(t);
  assert.equal(rec.check, check);
  assert.notEqual(rec.outcome, 'ok');
  assert.equal(rec.status, status);
  return body;
}

describe('POST /kbs/v0/auth', () => {
  test('answers a 32-byte standard-base64 nonce and a 32-hex session cookie that expires in 5 minutes', async () => {
    const t = await setup();
    const res = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample', 'extra-params': '' } });
    assert.equal(res.status, 200);
    const { nonce, 'extra-params': extra } = res.json();
    assert.equal(Buffer.from(nonce, 'base64').length, 32);
    assert.match(nonce, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(extra, '');
    const m = /^kbs-session-id=([0-9a-f]{32}); Expires=(.+)$/.exec(res.headers['set-cookie']!);
    assert.ok(m);
    assert.equal(Date.parse(m[2]!), t.clock.now + 5 * 60_000);
  });

  test('refuses a protocol version outside the range and names both versions', async () => {
    const t = await setup();
    const body = await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { body: { version: '0.3.0', tee: 'sample' } }), 401, 'AttestationError', 'kbs.version');
    assert.match(body.detail, /=0\.4\.0/);
    assert.match(body.detail, /0\.3\.0/);
  });

  test('accepts a version inside a configured range', async () => {
    const t = await setup({ versionRange: '>=0.3.0, <0.5.0' });
    assert.equal((await t.call('POST', '/kbs/v0/auth', { body: { version: '0.3.1', tee: 'sample' } })).status, 200);
  });

  test('refuses an unknown TEE name and a TEE without a verifier', async () => {
    const t = await setup();
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'nope' } }), 401, 'AttestationError', 'kbs.tee.unknown');
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'cca' } }), 401, 'AttestationError', 'kbs.tee.unsupported');
  });

  test('refuses malformed JSON and wrong types', async () => {
    const t = await setup();
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { raw: '{"version": "0.4.0", ' }), 401, 'AttestationError', 'kbs.request.malformed');
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { body: { version: 4, tee: 'sample' } }), 401, 'AttestationError', 'kbs.request.malformed');
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { body: [] }), 401, 'AttestationError', 'kbs.request.malformed');
  });

  test('refuses an oversized body with 413', async () => {
    const t = await setup({ bodyLimitBytes: 1024 });
    await expectFailure(t, () => t.call('POST', '/kbs/v0/auth', { raw: JSON.stringify({ version: '0.4.0', tee: 'sample', pad: 'x'.repeat(2000) }) }), 413, 'PayloadTooLarge', 'kbs.request.too_large');
  });
});

describe('POST /kbs/v0/attest', () => {
  test('refuses a nonce that is not the session nonce', async () => {
    const t = await setup();
    const { cookie } = await auth(t);
    const other = Buffer.alloc(32, 7).toString('base64');
    const body = await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), other), headers: { cookie } }), 401, 'AttestationError', 'kbs.nonce');
    assert.equal(body.detail, 'Attestation error: RCAR handshake Attest failed');
  });

  test('refuses evidence whose report data is bound to something else', async () => {
    const t = await setup();
    const { cookie, nonce } = await auth(t);
    const bad = sampleAttestation(sampleGuest(), nonce, { bindNonce: Buffer.alloc(32, 1).toString('base64') });
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: bad, headers: { cookie } }), 401, 'AttestationError', 'sample.report_data');
  });

  test('says why to the client only when verbose errors are configured', async () => {
    const t = await setup({ verboseErrors: true });
    const { cookie, nonce } = await auth(t);
    const bad = sampleAttestation(sampleGuest(), nonce, { bindNonce: 'x' });
    const res = await t.call('POST', '/kbs/v0/attest', { body: bad, headers: { cookie } });
    assert.match(res.json().detail, /sample\.report_data/);
  });

  test('refuses an expired session', async () => {
    const t = await setup();
    const { cookie, nonce } = await auth(t);
    t.clock.now += 5 * 60_000 + 1;
    const before = await snapshot(t);
    const res = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), nonce), headers: { cookie } });
    assert.equal(res.status, 401);
    assert.equal(res.json().type, ERR + 'AttestationError');
    assert.equal((await lastAudit(t)).check, 'kbs.session.expired');
    // The only change is the removal of the dead session.
    const after = JSON.parse(await snapshot(t));
    assert.deepEqual(after.kbs_protocol_session, {});
    assert.deepEqual({ ...after, kbs_protocol_session: null }, { ...JSON.parse(before), kbs_protocol_session: null });
  });

  test("refuses evidence for one session sent with another session's cookie", async () => {
    const t = await setup();
    const a = await auth(t);
    const b = await auth(t);
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), b.nonce), headers: { cookie: a.cookie } }), 401, 'AttestationError', 'kbs.nonce');
  });

  test('refuses a request without a session cookie', async () => {
    const t = await setup();
    const { nonce } = await auth(t);
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), nonce) }), 401, 'AttestationError', 'kbs.session.missing');
  });

  test('refuses malformed attestation JSON', async () => {
    const t = await setup();
    const { cookie } = await auth(t);
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { raw: '{"runtime-data":', headers: { cookie } }), 401, 'AttestationError', 'kbs.request.malformed');
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: { 'runtime-data': { nonce: 1 } }, headers: { cookie } }), 401, 'AttestationError', 'kbs.request.malformed');
  });

  test('returns the stored token again for an attested session', async () => {
    const t = await setup();
    const guest = sampleGuest();
    const { cookie, nonce } = await auth(t);
    const first = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(guest, nonce), headers: { cookie } });
    assert.equal(first.status, 200);
    const again = await t.call('POST', '/kbs/v0/attest', { body: {}, headers: { cookie } });
    assert.equal(again.status, 200);
    assert.equal(again.json().token, first.json().token);
  });
});

describe('GET /kbs/v0/resource', () => {
  async function attested(t: TestTrustee, kind: Parameters<typeof sampleGuest>[0] = 'P-256') {
    const { cookie, nonce } = await auth(t);
    const res = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(kind), nonce), headers: { cookie } });
    assert.equal(res.status, 200);
    return { cookie, token: res.json().token as string };
  }

  for (const [label, url] of [
    ['a .. segment', '/kbs/v0/resource/default/../secret'],
    ['an encoded slash', '/kbs/v0/resource/default/test%2Fx/secret'],
    ['an empty segment', '/kbs/v0/resource/default//secret'],
    ['a fourth segment', '/kbs/v0/resource/default/test/secret/x'],
  ] as const) {
    test(`refuses a resource path with ${label}`, async () => {
      const t = await setup();
      const { cookie } = await attested(t);
      await expectFailure(t, () => t.call('GET', url, { headers: { cookie } }), 401, 'PluginInternalError', 'kbs.resource.path');
    });
  }

  test('refuses when the resource policy denies', async () => {
    const t = await setup();
    await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(DENY_ALL) } });
    const { cookie } = await attested(t);
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } }), 401, 'PolicyDeny', 'kbs.resource.policy');
  });

  test('the default resource policy refuses sample evidence', async () => {
    const t = await startTestTrustee();
    await t.call('POST', '/kbs/v0/resource/default/test/secret', { raw: 'shhhhhhh' });
    const { cookie } = await attested(t);
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } }), 401, 'PolicyDeny', 'kbs.resource.policy');
  });

  test('refuses a missing resource with 401', async () => {
    const t = await setup();
    const { cookie } = await attested(t);
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/nothing', { headers: { cookie } }), 401, 'PluginInternalError', 'kbs.resource.missing');
  });

  test('refuses a request with neither an attested cookie nor a token', async () => {
    const t = await setup();
    const { cookie } = await auth(t);
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } }), 401, 'TokenNotFound', 'kbs.token.missing');
  });

  test('refuses a garbage bearer token', async () => {
    const t = await setup();
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: 'Bearer abc.def' } }), 401, 'TokenVerifierError', 'token.format');
  });

  test('refuses to wrap a resource for an RSA1_5 key with a clear error', async () => {
    const t = await setup();
    const guest = sampleGuest('RSA');
    guest.teePubKey = { ...guest.teePubKey, alg: 'RSA1_5' } as typeof guest.teePubKey;
    const { cookie, nonce } = await auth(t);
    assert.equal((await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(guest, nonce), headers: { cookie } })).status, 200);
    const body = await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } }), 401, 'JweError', 'kbs.jwe.alg');
    assert.match(body.detail, /RSA1_5/);
  });

  test('an expired token is refused even though its signature is good', async () => {
    const t = await setup();
    const { token } = await attested(t);
    t.clock.now += 6 * 60_000 + 61_000;
    await expectFailure(t, () => t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${token}` } }), 401, 'TokenVerifierError', 'token.exp');
  });
});

describe('routing', () => {
  test('answers 404 PluginNotFound for an unknown plugin and 404 InvalidRequestPath outside /kbs/v0', async () => {
    const t = await setup();
    const a = await t.call('GET', '/kbs/v0/nebula-ca/x');
    assert.equal(a.status, 404);
    assert.equal(a.json().type, ERR + 'PluginNotFound');
    const b = await t.call('GET', '/elsewhere');
    assert.equal(b.status, 404);
    assert.equal(b.json().type, ERR + 'InvalidRequestPath');
  });

  test('refuses admin endpoints with AdminAuthAccess when admin is denied', async () => {
    const { denyAllAdmin } = await import('./admin-hooks.js');
    const t = await startTestTrustee({ admin: denyAllAdmin });
    const res = await t.call('POST', '/kbs/v0/resource/default/test/secret', { raw: 'x' });
    assert.equal(res.status, 401);
    assert.equal(res.json().type, ERR + 'AdminAuthAccess');
    assert.deepEqual(await t.store.list('repository'), []);
  });

  test('filters audit records by outcome', async () => {
    const t = await setup();
    await t.call('POST', '/kbs/v0/auth', { body: { version: '9.9.9', tee: 'sample' } });
    const res = await t.call('GET', '/kbs/v0/audit?outcome=denied&limit=5');
    assert.equal(res.status, 200);
    for (const r of res.json()) assert.equal(r.outcome, 'denied');
    assert.equal((await t.call('GET', '/kbs/v0/audit?outcome=maybe')).status, 401);
    const failures = (await t.call('GET', '/kbs/v0/audit?outcome=failure')).json();
    assert.ok(failures.length >= 1);
    for (const r of failures) assert.notEqual(r.outcome, 'ok');
  });
});

describe('admin read-back', () => {
  test('lists resources and reads policies and reference values back', async () => {
    const t = await setup();
    assert.deepEqual((await t.call('GET', '/kbs/v0/resource')).json(), ['default/test/secret']);
    assert.deepEqual((await t.call('GET', '/kbs/v0/resource-policy')).json(), ['resource-policy']);
    assert.equal((await t.call('GET', '/kbs/v0/resource-policy?format=rego')).text(), ALLOW_RESOURCE_PLUGIN);
    assert.deepEqual((await t.call('GET', '/kbs/v0/attestation-policy')).json(), ['default_cpu', 'default_gpu']);
    assert.match((await t.call('GET', '/kbs/v0/attestation-policy/default_cpu')).text(), /package policy/);
    assert.equal((await t.call('POST', '/kbs/v0/reference-value', { body: { version: '0.1.0', type: 'sample', payload: Buffer.from('{"svn":["2"]}').toString('base64') } })).status, 200);
    assert.deepEqual((await t.call('GET', '/kbs/v0/reference-value/svn')).json(), ['2']);
    const missing = await t.call('GET', '/kbs/v0/reference-value/nope');
    assert.equal(missing.status, 401);
    assert.equal(missing.json().type, ERR + 'RvpsError');
  });

  test('refuses Rego that does not parse and keeps the old policy', async () => {
    const t = await setup();
    const res = await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url('package policy\nallow if {') } });
    assert.equal(res.status, 401);
    assert.equal(res.json().type, ERR + 'ParsePolicyError');
    assert.equal((await t.call('GET', '/kbs/v0/resource-policy?format=rego')).text(), ALLOW_RESOURCE_PLUGIN);
  });

  test('refuses a padded base64url policy as upstream does', async () => {
    const t = await setup();
    const res = await t.call('POST', '/kbs/v0/attestation-policy', { body: { policy_id: 'x', policy: 'cGFja2FnZSBw=' } });
    assert.equal(res.status, 401);
  });

  test('deletes a resource and then reports it missing', async () => {
    const t = await setup();
    assert.equal((await t.call('DELETE', '/kbs/v0/resource/default/test/secret')).status, 200);
    const again = await t.call('DELETE', '/kbs/v0/resource/default/test/secret');
    assert.equal(again.status, 401);
    assert.equal(again.json().type, ERR + 'PluginInternalError');
  });

  test('an upstream resource policy (affirming) releases only to affirming tokens', async () => {
    const { fixtureText } = await import('../../../test/support/fixtures.js');
    const t = await setup();
    assert.equal((await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(fixtureText('trustee-policies/resource/affirming.rego')) } })).status, 200);
    const get = async () => {
      const { cookie, nonce } = await auth(t);
      assert.equal((await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), nonce), headers: { cookie } })).status, 200);
      return (await t.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { cookie } })).status;
    };
    assert.equal(await get(), 401);
    await t.call('POST', '/kbs/v0/reference-value', { body: { version: '0.1.0', type: 'sample', payload: Buffer.from(JSON.stringify({ svn: ['1'], launch_digest: ['abcde'], major_version: 1, minimum_minor_version: 1 })).toString('base64') } });
    assert.equal(await get(), 200);
  });
});

describe('cross-Trustee tokens', () => {
  test('a token signed under a certificate is accepted by a Trustee that trusts that certificate only', async () => {
    const { fixtureText } = await import('../../../test/support/fixtures.js');
    const key = fixtureText('tokens/jwk/signing-key.pem');
    const chain = fixtureText('tokens/jwk/cert-chain.pem');
    const issuer = await setup({ token: { signerKeyPem: key, signerCertChainPem: chain } });
    const { cookie, nonce } = await auth(issuer);
    const guest = sampleGuest();
    const token = (await issuer.call('POST', '/kbs/v0/attest', { body: sampleAttestation(guest, nonce), headers: { cookie } })).json().token;
    const trusting = await setup({ tokenTrust: { trustedCertsPem: [chain] } });
    assert.equal((await trusting.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${token}` } })).status, 200);
    const stranger = await setup();
    await expectFailure(stranger, () => stranger.call('GET', '/kbs/v0/resource/default/test/secret', { headers: { authorization: `Bearer ${token}` } }), 401, 'TokenVerifierError', 'token.x5c.chain');
  });
});

describe('device evidence', () => {
  test('binds each additional device to H(JCS({nonce, tee-pubkey})) and appraises it as gpu0', async () => {
    const { encodeSampleEvidence } = await import('../../verifier/index.js');
    const { deviceRuntimeData, runtimeDataDigest } = await import('../../protocol/index.js');
    const t = await setup();
    const { cookie, nonce } = await auth(t);
    const guest = sampleGuest();
    const device = encodeSampleEvidence(runtimeDataDigest(deviceRuntimeData(nonce, guest.teePubKey), 'sha384'));
    const body = sampleAttestation(guest, nonce, { additional: JSON.stringify({ sampledevice: device }) });
    const res = await t.call('POST', '/kbs/v0/attest', { body, headers: { cookie } });
    assert.equal(res.status, 200, res.text());
    const claims = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString());
    assert.deepEqual(Object.keys(claims.submods).sort(), ['cpu0', 'gpu0']);
    // A device bound to the wrong nonce fails the whole attestation with the device verifier's check.
    const b = await auth(t);
    const wrong = encodeSampleEvidence(runtimeDataDigest(deviceRuntimeData(nonce, guest.teePubKey), 'sha384'));
    const bad = sampleAttestation(guest, b.nonce, { additional: JSON.stringify({ sampledevice: wrong }) });
    await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body: bad, headers: { cookie: b.cookie } }), 401, 'AttestationError', 'sampledevice.report_data');
  });
});

describe('init-data', () => {
  test('refuses init-data that is not TOML or does not parse, naming as.init_data', async () => {
    const t = await setup();
    for (const initData of [{ format: 'json', body: '{}' }, { format: 'toml', body: 'version = ' }]) {
      const { cookie, nonce } = await auth(t);
      const body = { ...sampleAttestation(sampleGuest(), nonce), 'init-data': initData };
      await expectFailure(t, () => t.call('POST', '/kbs/v0/attest', { body, headers: { cookie } }), 401, 'AttestationError', 'as.init_data');
    }
  });
});

describe('audit records', () => {
  test('stay small when the request quotes a huge path', async () => {
    const t = await setup();
    const { cookie } = await auth(t);
    await t.call('GET', `/kbs/v0/resource/${'a'.repeat(5000)}/b/c`, { headers: { cookie } });
    const rec = await lastAudit(t);
    assert.ok(JSON.stringify(rec).length < 2000);
    assert.equal(rec.check, 'kbs.token.missing');
  });
});
