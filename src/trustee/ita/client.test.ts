import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { FAKE_ITA_API_KEY, startFakeIta, tdQuoteWithReportData, type FakeIta } from '../../../test/support/fake-ita.js';
import { fixture } from '../../../test/support/fixtures.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { makeTestCa, type TestCa } from '../../../test/support/test-ca.js';
import { MalformedInput, Unavailable, Unsupported, VerificationFailed, toBase64 } from '../../core/index.js';
import { primaryRuntimeData, runtimeDataDigest, type TeePubKey } from '../../protocol/index.js';
import type { EvidenceItem } from '../as/attestation-service.js';
import { IntelTrustAuthority, type IntelTaOptions } from './client.js';
import { rejection } from '../../../test/support/failures.js';

const SKIP = requireTools('openssl');
const KEY: TeePubKey = { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'xxxx', y: 'yyyy' };
const RUNTIME = primaryRuntimeData('bm9uY2U=', KEY, '');
const BOUND_QUOTE = toBase64(tdQuoteWithReportData(fixture('tdx/tdx_quote_4.dat'), runtimeDataDigest(RUNTIME, 'sha512')));
const tdxItem = (quote = BOUND_QUOTE, extra: Partial<EvidenceItem> = {}): EvidenceItem => ({ tee: 'tdx', evidence: { quote, cc_eventlog: null }, runtimeData: RUNTIME, hashAlgorithm: 'sha512', ...extra });

let ca: TestCa;
let ita: FakeIta;
before(async () => {
  if (SKIP) return;
  ca = makeTestCa();
  ita = await startFakeIta(ca);
});
after(async () => {
  await ita?.close();
});

function client(over: Partial<IntelTaOptions> = {}): IntelTrustAuthority {
  return new IntelTrustAuthority({ baseUrl: ita.origin, apiKey: FAKE_ITA_API_KEY, jwks: ita.jwks.keys, policyIds: ['p1'], extraCaPem: ca.caPem, version: '9.9.9', ...over });
}

const failure = (promise: Promise<unknown>) => rejection(promise, 'as');

describe('IntelTrustAuthority', { skip: SKIP }, () => {
  test('posts the evidence with the API key and returns the token it verified with the certs_file keys', async () => {
    ita.override(undefined);
    const before = ita.calls.length;
    const out = await client().evaluate([tdxItem()], ['default'], new Date());
    const call = ita.calls[before]!;
    assert.equal(call.path, '/appraisal/v2/attest');
    assert.equal(call.headers['x-api-key'], FAKE_ITA_API_KEY);
    assert.equal(call.headers['content-type'], 'application/json');
    assert.equal(call.headers.accept, 'application/json');
    assert.equal(call.headers['user-agent'], 'Confidential-containers-trustee coco-ts/9.9.9');
    assert.deepEqual(call.body.policy_ids, ['p1'], 'the KBS policy ids are not ITA policy ids');
    assert.equal(call.body.policy_must_match, true);
    const tdx = out.claims.tdx as Record<string, unknown>;
    assert.deepEqual((tdx.attester_runtime_data as Record<string, unknown>)['tee-pubkey'], KEY);
    assert.equal(out.token.split('.').length, 3);
    assert.deepEqual(out.checks.map((c) => c.id), ['as.ita']);
    assert.deepEqual(out.notes, []);
  });

  test('notes in the outcome that init-data was not checked', async () => {
    ita.override(undefined);
    const out = await client().evaluate([tdxItem(BOUND_QUOTE, { initData: { format: 'toml', body: 'version = "0.1.0"' } })], [], new Date());
    assert.match(out.notes.join('\n'), /init-data was not checked/);
  });

  test('says ITA refused the evidence, with its error text, when it answers 400', async () => {
    ita.override(undefined);
    // The fixture quote as it is binds other report data: the binding check fails at ITA.
    const unbound = await failure(client().evaluate([tdxItem(toBase64(fixture('tdx/tdx_quote_4.dat')))], [], new Date()));
    assert.ok(unbound.error instanceof VerificationFailed);
    assert.equal(unbound.check, 'as.ita.refused');
    assert.match(unbound.error.message, /400: report data does not match/);
  });

  test('blames the KBS settings, not the evidence, for 401, 403, 404 and 405, and masks an API key ITA repeats', async () => {
    ita.override(undefined);
    const wrongKey = await failure(client({ apiKey: 'a-wrong-key-with-secret-bits' }).evaluate([tdxItem()], [], new Date()));
    assert.ok(wrongKey.error instanceof Unavailable);
    assert.equal(wrongKey.check, 'as.ita.config');
    assert.match(wrongKey.error.message, /answered 401: Invalid API key <api key>.*api_key/);
    assert.doesNotMatch(wrongKey.error.message, /secret-bits/);
    for (const status of [403, 404, 405]) {
      ita.override({ status, body: { error: `no\u0000such ${FAKE_ITA_API_KEY}` } });
      const f = await failure(client().evaluate([tdxItem()], [], new Date()));
      assert.equal(f.check, 'as.ita.config', String(status));
      assert.doesNotMatch(f.error.message, new RegExp(FAKE_ITA_API_KEY));
      assert.doesNotMatch(f.error.message, /\u0000/);
    }
    ita.override(undefined);
  });

  test('says ITA is unavailable on 5xx and 429, and when it does not answer in time', async () => {
    for (const status of [500, 503, 429]) {
      ita.override({ status, body: { error: 'busy' } });
      const f = await failure(client().evaluate([tdxItem()], [], new Date()));
      assert.ok(f.error instanceof Unavailable, String(f.error));
      assert.equal(f.check, 'as.ita.unavailable');
      assert.match(f.error.message, new RegExp(`answered ${status}: busy`));
    }
    ita.override({ status: 200, body: { token: 'x' }, delayMs: 2000 });
    const slow = await failure(client({ timeoutMs: 200 }).evaluate([tdxItem()], [], new Date()));
    assert.ok(slow.error instanceof Unavailable);
    assert.match(slow.error.message, /did not answer in time/);
    ita.override(undefined);
  });

  test('says ITA is unreachable when nothing listens or its certificate is not trusted', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const closed = await failure(client({ baseUrl: `https://127.0.0.1:${port}` }).evaluate([tdxItem()], [], new Date()));
    assert.equal(closed.check, 'as.ita.unavailable');
    assert.match(closed.error.message, /unreachable/);
    // Without the test CA, the stand-in's certificate is not trusted.
    const untrusted = await failure(new IntelTrustAuthority({ baseUrl: ita.origin, apiKey: FAKE_ITA_API_KEY, jwks: ita.jwks.keys }).evaluate([tdxItem()], [], new Date()));
    assert.equal(untrusted.check, 'as.ita.unavailable');
    assert.match(untrusted.error.message, /certificate/i);
  });

  test('refuses a 200 answer that is not a token', async () => {
    for (const body of [{}, { token: 5 }, 'plain text', []]) {
      ita.override({ status: 200, body });
      const f = await failure(client().evaluate([tdxItem()], [], new Date()));
      assert.ok(f.error instanceof MalformedInput, String(f.error));
      assert.equal(f.check, 'as.ita.response');
    }
    ita.override(undefined);
  });

  test('refuses tokens signed by another key, with an unknown kid, another alg, or expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { iat: now, exp: now + 300 };
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const cases: Array<[string, RegExp]> = [
      [ita.token(claims, { key: other }), /signature/],
      [ita.token(claims, { kid: 'someone-else' }), /kid/],
      [ita.token(claims, { alg: 'RS384' }), /alg/],
      [ita.token({ iat: now - 1000, exp: now - 600 }), /expired/],
      ['not.a.token', /token/],
    ];
    for (const [token, why] of cases) {
      ita.override({ status: 200, body: { token } });
      const f = await failure(client().evaluate([tdxItem()], [], new Date()));
      assert.ok(f.error instanceof VerificationFailed, String(f.error));
      assert.equal(f.check, 'as.ita.token');
      assert.match(f.error.message, why);
    }
    ita.override(undefined);
  });

  test('sends nothing when no evidence is left that ITA appraises', async () => {
    const before = ita.calls.length;
    const gpuOnly: EvidenceItem = { tee: 'nvidia', evidence: { device_evidence_list: [{ evidence: 'e', certificate: 'c', arch: 'LS10' }] }, runtimeData: RUNTIME, hashAlgorithm: 'sha512' };
    const f = await failure(client().evaluate([gpuOnly], [], new Date()));
    assert.ok(f.error instanceof Unsupported);
    assert.equal(f.check, 'as.ita.evidence');
    assert.equal(ita.calls.length, before);
  });

  test('refuses an http or malformed base_url and an empty API key at construction', () => {
    assert.throws(() => client({ baseUrl: 'http://127.0.0.1:1' }), MalformedInput);
    assert.throws(() => client({ baseUrl: 'example.io' }), MalformedInput);
    assert.throws(() => client({ apiKey: '' }), MalformedInput);
  });

  test('has no policies or reference values of its own to administer', async () => {
    const c = client();
    await assert.rejects(c.policies.set('default', 'package x'), Unsupported);
    await assert.rejects(c.policies.list(), Unsupported);
    await assert.rejects(c.rvps.register({ version: '0.1.0', type: 'sample', payload: '{}' }, Date.now()), Unsupported);
    await assert.rejects(c.rvps.get('x'), Unsupported);
  });
});
