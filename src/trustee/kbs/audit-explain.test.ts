import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { PolicyDenied } from '../../core/index.js';
import { b64url, cookieOf, sampleAttestation, sampleGuest, sampleRvMessage, startTestTrustee } from '../../../test/support/trustee.js';
import { REQUEST_ID_HEADER } from '../http/request-id.js';
import { regoPolicyEngine } from '../rego-engine.js';
import { auditFieldsOf, explainResourcePolicy, summarizeToken, tokenId, withAuditFields } from './audit-explain.js';

const REQUIRE_AFFIRMING = `package policy
import rego.v1
default allow := false
allow if {
\tdata.plugin == "resource"
\tinput.submods.cpu0["ear.status"] == "affirming"
}
`;

const ear = (status: string, vector: Record<string, number>) => ({ iat: 1_795_000_000, submods: { cpu0: { 'ear.status': status, 'ear.trustworthiness-vector': vector } } });

describe('summarizeToken', () => {
  test('gives the worst status and the non-zero claims of each submod', () => {
    const claims = { iat: 1_795_000_000, submods: { cpu0: { 'ear.status': 'warning', 'ear.trustworthiness-vector': { executables: 33, hardware: 2, configuration: 0 } }, gpu0: { 'ear.status': 'affirming', 'ear.trustworthiness-vector': { hardware: 2 } } } };
    assert.deepEqual(summarizeToken('a.b.c', claims), {
      id: tokenId('a.b.c'), status: 'warning', trust: { cpu0: 'warning: executables=33 hardware=2', gpu0: 'affirming: hardware=2' }, issuedAt: '2026-11-18T11:06:40.000Z',
    });
  });
  test('copes with claims of any shape (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const s = summarizeToken('t', { submods: v, iat: v });
      return /^[0-9a-f]{16}$/.test(s.id) && typeof s.trust === 'object';
    }));
  });
});

describe('tokenId', () => {
  test('is 16 hex digits that differ for different tokens', () => {
    assert.match(tokenId('x.y.z'), /^[0-9a-f]{16}$/);
    assert.notEqual(tokenId('x.y.z'), tokenId('x.y.w'));
  });
});

describe('explainResourcePolicy', () => {
  const policy = regoPolicyEngine.compile({ 'policy.rego': REQUIRE_AFFIRMING });
  test('names the status comparison that refused a warning token', () => {
    const out = explainResourcePolicy(policy, REQUIRE_AFFIRMING, 'resource-policy', ear('warning', { executables: 33 }), { plugin: 'resource' });
    assert.deepEqual(out, [{
      claim: 'allow', policy: 'resource-policy', reason: 'failed', at: 'policy.rego:6:2',
      expression: 'input.submods.cpu0["ear.status"] == "affirming"', operator: '==', operands: ['"warning"', '"affirming"'], referenceValues: [],
    }]);
  });
  test('says the rule kept its default when no body applied', () => {
    const deny = regoPolicyEngine.compile({ 'policy.rego': 'package policy\ndefault allow := false\n' });
    assert.deepEqual(explainResourcePolicy(deny, undefined, 'resource-policy', {}, {}), [{ claim: 'allow', policy: 'resource-policy', reason: 'default' }]);
  });
});

describe('withAuditFields', () => {
  test('merges fields attached to an error and gives nothing for other values', () => {
    const err = withAuditFields(withAuditFields(new PolicyDenied('no'), { a: 1 }), { b: 2 });
    assert.deepEqual(auditFieldsOf(err), { a: 1, b: 2 });
    assert.deepEqual(auditFieldsOf(new Error('x')), {});
    assert.deepEqual(auditFieldsOf(undefined), {});
  });
});

describe('createKbsApp audit records (sample TEE)', () => {
  test('wrong launch_digest → executables 33 → warning → the resource policy requires affirming', async () => {
    const t = await startTestTrustee();
    const rvs = { svn: ['1'], launch_digest: ['not-the-launch-digest'], major_version: 1, minimum_minor_version: 1 };
    assert.equal((await t.call('POST', '/kbs/v0/reference-value', { body: sampleRvMessage(rvs) })).status, 200);
    assert.equal((await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(REQUIRE_AFFIRMING) } })).status, 200);
    assert.equal((await t.call('POST', '/kbs/v0/resource/default/key/1', { raw: 'secret' })).status, 200);
    const auth = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample' } });
    const cookie = cookieOf(auth);
    const att = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), auth.json().nonce), headers: { cookie } });
    assert.equal(att.status, 200);
    const res = await t.call('GET', '/kbs/v0/resource/default/key/1', { headers: { cookie } });
    assert.equal(res.status, 401);

    const [attest] = (await t.call('GET', '/kbs/v0/audit?route=attest')).json();
    assert.equal(attest.outcome, 'ok');
    assert.equal(attest.earStatus, 'warning');
    assert.equal(attest.tokenId, tokenId(att.json().token));
    assert.deepEqual(attest.explain.map((e: any) => [e.submod, e.claim, e.value, e.expression, e.referenceValues]), [
      ['cpu0', 'executables', 33, 'input.sample.launch_digest in rv("launch_digest")', ['launch_digest']],
    ]);
    assert.deepEqual(attest.explain[0].operands.slice(1), ['["not-the-launch-digest"]']);

    const [denied] = (await t.call('GET', '/kbs/v0/audit?route=resource')).json();
    assert.equal(denied.check, 'kbs.resource.policy');
    assert.equal(denied.explain[0].expression, 'input.submods.cpu0["ear.status"] == "affirming"');
    assert.deepEqual(denied.explain[0].operands, ['"warning"', '"affirming"']);
    assert.equal(denied.token.id, attest.tokenId);
    assert.equal(denied.token.status, 'warning');
    assert.match(denied.token.trust.cpu0, /^warning: .*executables=33/);
    assert.deepEqual(denied.token.attestation, { requestId: attest.requestId, session: attest.session });
    // The token names its attest request itself, so that any replica can say which it was.
    assert.equal(JSON.parse(Buffer.from(att.json().token.split('.')[1], 'base64url').toString())['coco.attest-request-id'], attest.requestId);
  });

  test('a replica that did not issue the token still names its attest request when it refuses a bearer release', async () => {
    // Two KBS instances with one signer key (replicas, or one process before and after a restart).
    const signerKeyPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const [a, b] = [await startTestTrustee({ token: { signerKeyPem } }), await startTestTrustee({ token: { signerKeyPem } })];
    const rvs = { svn: ['1'], launch_digest: ['not-the-launch-digest'], major_version: 1, minimum_minor_version: 1 };
    assert.equal((await a.call('POST', '/kbs/v0/reference-value', { body: sampleRvMessage(rvs) })).status, 200);
    assert.equal((await b.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(REQUIRE_AFFIRMING) } })).status, 200);
    assert.equal((await b.call('POST', '/kbs/v0/resource/default/key/1', { raw: 'secret' })).status, 200);
    const auth = await a.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample' } });
    const att = await a.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), auth.json().nonce), headers: { cookie: cookieOf(auth) } });
    assert.equal(att.status, 200);
    const res = await b.call('GET', '/kbs/v0/resource/default/key/1', { headers: { authorization: `Bearer ${att.json().token}` } });
    assert.equal(res.status, 401);
    const [denied] = (await b.call('GET', '/kbs/v0/audit?route=resource')).json();
    assert.equal(denied.check, 'kbs.resource.policy');
    assert.deepEqual(denied.token.attestation, { requestId: att.headers[REQUEST_ID_HEADER] }, 'no session: the token came as a bearer');
  });

  test('an affirming attestation leaves no attest record unless successes are audited', async () => {
    const t = await startTestTrustee();
    await t.call('POST', '/kbs/v0/reference-value', { body: sampleRvMessage({ svn: ['1'], launch_digest: ['abcde'], major_version: 1, minimum_minor_version: 1 }) });
    const auth = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample' } });
    const att = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(sampleGuest(), auth.json().nonce), headers: { cookie: cookieOf(auth) } });
    assert.equal(att.status, 200);
    assert.deepEqual((await t.call('GET', '/kbs/v0/audit?route=attest')).json(), []);
  });
});
