/**
 * `[attestation_service] type = "intel_ta"` through runTrustee (the path of `coco trustee serve`), over
 * real HTTP: a guest (our KBS client with the TDX attester on a fake configfs-tsm that returns a real
 * TD quote carrying the report data it was given) offers its hash algorithms at /auth, is told to use
 * SHA-512, and attests; the KBS forwards the evidence to a stand-in for Intel Trust Authority over
 * HTTPS, which checks the binding and signs a PS384 token; the KBS verifies it with the certs_file keys
 * and releases a resource under a resource policy written against ITA's claims. Refusals by ITA, a
 * guest that cannot hash as ITA needs, and an ITA that is down each fail with an audit record.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tdxAttester } from '../../src/guest/attester/tdx.js';
import { KbsClient } from '../../src/guest/kbs-client/client.js';
import type { RunningTrustee } from '../../src/trustee/index.js';
import { MEMORY_STORAGE, runLocalTrustee } from '../support/local-trustee.js';
import { fakeTsm, type FakeTsm } from '../support/fake-tsm.js';
import { FAKE_ITA_API_KEY, startFakeIta, tdQuoteWithReportData, type FakeIta } from '../support/fake-ita.js';
import { fixture } from '../support/fixtures.js';
import { requireTools } from '../support/system-tools.js';
import { makeTestCa } from '../support/test-ca.js';
import { b64url } from '../support/trustee.js';

const SKIP = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-ita-'));
const QUOTE = fixture('tdx/tdx_quote_4.dat');
const SECRET = 'released-after-intel-trust-authority';
/** Release when ITA says the TD's TCB is up to date and the token names the policy we asked for. */
const ITA_RESOURCE_POLICY = `package policy
import rego.v1
default allow := false
allow if {
  input.tdx.attester_tcb_status == "UpToDate"
  some m in input.policy_ids_matched
  m.id == "p1"
}
`;
let ita: FakeIta;
let tsm: FakeTsm;
let running: RunningTrustee;
let url: string;

async function http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function lastAudit(route: string): Promise<{ check: string; detail: string; outcome: string }> {
  const res = await http('GET', `/kbs/v0/audit?route=${route}&limit=1`);
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as Array<{ check: string; detail: string; outcome: string }>)[0]!;
}

function guest(): KbsClient {
  return new KbsClient({
    kbsUrl: url,
    fetch: (u, init) => fetch(u, init),
    attester: tdxAttester({ tsmRoot: tsm.root, fs: tsm.fs, ccelPath: join(dir, 'no-ccel') }),
    retry: { rcarAttempts: 1, resourceAttempts: 1, delayMs: () => 0, sleep: async () => {} },
  });
}

before(async () => {
  if (SKIP) return;
  const ca = makeTestCa();
  ita = await startFakeIta(ca);
  tsm = fakeTsm({ provider: 'tdx_guest', outblob: (inblob) => tdQuoteWithReportData(QUOTE, inblob) });
  writeFileSync(join(dir, 'ita-certs.json'), JSON.stringify(ita.jwks));
  const itaConfig = [
    '[attestation_service]',
    'type = "intel_ta"',
    `base_url = "${ita.origin}"`,
    `api_key = "${FAKE_ITA_API_KEY}"`,
    `certs_file = "file://${join(dir, 'ita-certs.json')}"`,
    'policy_ids = ["p1"]',
  ];
  running = await runLocalTrustee([...MEMORY_STORAGE, ...itaConfig], dir, { build: { version: '1.2.3', gitHash: 'x', buildDate: 'x' }, jwkSets: { extraCaPem: ca.caPem, minGapMs: 0 } });
  url = running.listening.url;
  assert.equal((await http('POST', '/kbs/v0/resource/default/ita/secret', SECRET)).status, 200);
});
after(async () => {
  await running?.close();
  await ita?.close();
  tsm?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('Trustee with Intel Trust Authority as its attestation service', { skip: SKIP }, () => {
  test('the default resource policy releases only to tokens in which ITA matched the configured policies', async () => {
    const policy = await http('GET', '/kbs/v0/resource-policy?format=rego');
    assert.match(policy.text, /policy_ids_matched/);
    const now = Math.floor(Date.now() / 1000);
    const tee = guest().key.jwk;
    const bearer = (matched: Array<{ id: string }>) => ({
      authorization: `Bearer ${ita.token({ tdx: { attester_tcb_status: 'OutOfDate', attester_runtime_data: { 'tee-pubkey': tee } }, policy_ids_matched: matched, iat: now, exp: now + 60 })}`,
    });
    // Another tenant's token (signed by the same ITA keys) matched other policies: refused.
    const foreign = await http('GET', '/kbs/v0/resource/default/ita/secret', undefined, bearer([{ id: 'someone-elses' }]));
    assert.equal(foreign.status, 401);
    assert.match(foreign.text, /PolicyDeny/);
    const ours = await http('GET', '/kbs/v0/resource/default/ita/secret', undefined, bearer([{ id: 'p1' }]));
    assert.equal(ours.status, 200, ours.text);
    assert.equal((await http('POST', '/kbs/v0/resource-policy', { policy: b64url(ITA_RESOURCE_POLICY) })).status, 200);
  });

  test('a TDX guest attests through ITA and gets the resource, decrypted with its key', async () => {
    const before = ita.calls.length;
    const g = guest();
    const secret = await g.getResource('kbs:///default/ita/secret');
    assert.equal(Buffer.from(secret).toString('utf8'), SECRET);
    const call = ita.calls[before]!;
    assert.equal(call.path, '/appraisal/v2/attest');
    assert.equal(call.headers['user-agent'], 'Confidential-containers-trustee coco-ts/1.2.3');
    assert.deepEqual(call.body.policy_ids, ['p1']);
    // The stand-in accepted SHA-512 binding: the guest hashed as the challenge told it to.
    const runtime = JSON.parse(Buffer.from(String((call.body.tdx as Record<string, unknown>).runtime_data), 'base64').toString('utf8')) as Record<string, unknown>;
    assert.deepEqual(runtime['tee-pubkey'], JSON.parse(JSON.stringify(g.key.jwk)));
  });

  test('the challenge tells a guest that offers hash algorithms to use SHA-512 for TDX', async () => {
    const res = await http('POST', '/kbs/v0/auth', { version: '0.4.0', tee: 'tdx', 'extra-params': { 'supported-hash-algorithms': ['sha384', 'SHA512'] } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((JSON.parse(res.text) as { 'extra-params': unknown })['extra-params'], { 'selected-hash-algorithm': 'sha512' });
    const old = await http('POST', '/kbs/v0/auth', { version: '0.4.0', tee: 'tdx', 'extra-params': '' });
    assert.equal((JSON.parse(old.text) as { 'extra-params': unknown })['extra-params'], '');
  });

  test('a guest that cannot hash as ITA needs, or a TEE ITA does not appraise, is refused at /auth and audited', async () => {
    const res = await http('POST', '/kbs/v0/auth', { version: '0.4.0', tee: 'tdx', 'extra-params': { 'supported-hash-algorithms': ['sha384'] } });
    assert.equal(res.status, 401);
    assert.match(res.text, /AttestationError/);
    assert.match(res.text, /needs sha512/);
    assert.equal((await lastAudit('auth')).check, 'kbs.auth.hash_algorithm');
    const snp = await http('POST', '/kbs/v0/auth', { version: '0.4.0', tee: 'snp', 'extra-params': '' });
    assert.equal(snp.status, 401);
    assert.equal((await lastAudit('auth')).check, 'kbs.tee.unsupported');
  });

  test('evidence ITA refuses fails the attestation with ITA\'s reason in the audit record', async () => {
    ita.override({ status: 400, body: { error: 'quote verification failed' } });
    try {
      await assert.rejects(guest().attest());
      const audit = await lastAudit('attest');
      assert.equal(audit.check, 'as.ita.refused');
      assert.match(audit.detail, /400: quote verification failed/);
    } finally {
      ita.override(undefined);
    }
  });

  test('an ITA that is down makes attestation unavailable, audited as such, and the API key is in no record', async () => {
    ita.override({ status: 503, body: { error: 'maintenance' } });
    try {
      await assert.rejects(guest().attest());
      const audit = await lastAudit('attest');
      assert.equal(audit.check, 'as.ita.unavailable');
      const all = await http('GET', '/kbs/v0/audit?limit=100');
      assert.doesNotMatch(all.text, new RegExp(FAKE_ITA_API_KEY));
    } finally {
      ita.override(undefined);
    }
  });

  test('a token ITA issued is accepted as a bearer token; one it did not sign is not', async () => {
    const g = guest();
    const token = await g.attest();
    const ok = await http('GET', '/kbs/v0/resource/default/ita/secret', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
    const now = Math.floor(Date.now() / 1000);
    const claims = { tdx: { attester_tcb_status: 'UpToDate', attester_runtime_data: { 'tee-pubkey': g.key.jwk } }, policy_ids_matched: [{ id: 'p1' }], iat: now, exp: now + 60 };
    // Signed by another key under ITA's own kid, and signed by ITA's key under a kid it does not have.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const kid = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid as string;
    for (const forged of [ita.token(claims, { key: other, kid }), ita.token(claims, { kid: 'not-ita' })]) {
      const no = await http('GET', '/kbs/v0/resource/default/ita/secret', undefined, { authorization: `Bearer ${forged}` });
      assert.equal(no.status, 401);
      assert.match(no.text, /TokenVerifierError/);
    }
  });

  test('a key ITA rotates in is loaded from certs_file on first sight, for attestation and for bearer tokens', async () => {
    ita.rotate();
    writeFileSync(join(dir, 'ita-certs.json'), JSON.stringify(ita.jwks));
    const token = await guest().attest();
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')).kid, 'fake-ita-2');
    const ok = await http('GET', '/kbs/v0/resource/default/ita/secret', undefined, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200, ok.text);
  });

  test('attestation policies and reference values are refused with a message naming ITA', async () => {
    const p = await http('POST', '/kbs/v0/attestation-policy', { type: 'rego', policy_id: 'default', policy: b64url('package policy') });
    assert.equal(p.status, 401);
    assert.match(p.text, /intel_ta/);
    const rv = await http('POST', '/kbs/v0/reference-value', { version: '0.1.0', type: 'sample', payload: '{}' });
    assert.equal(rv.status, 401);
    assert.match(rv.text, /intel_ta/);
  });
});
