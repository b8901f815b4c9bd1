import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixture, fixturePath } from '../../../test/support/fixtures.js';
import { MalformedInput, Unsupported, canonicalize, digest, fromBase64, isCocoError, toBase64, toHex } from '../../core/index.js';
import { primaryRuntimeData, runtimeDataDigest, type Tee, type TeePubKey } from '../../protocol/index.js';
import { parseHclReport } from '../../verifier/index.js';
import type { EvidenceItem } from '../as/attestation-service.js';
import { buildItaRequest, itaBaseUrl, itaChallengeParams } from './request.js';
import { thrown } from '../../../test/support/failures.js';

const KEY: TeePubKey = { kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', x: 'xxxx', y: 'yyyy' };
const RUNTIME = primaryRuntimeData('bm9uY2U=', KEY, '');
const QUOTE = toBase64(fixture('tdx/tdx_quote_4.dat'));
const CHOICE = { policyIds: ['p1'], allowUnmatchedPolicy: false };
const item = (tee: Tee, evidence: unknown, extra: Partial<EvidenceItem> = {}): EvidenceItem => ({ tee, evidence, runtimeData: RUNTIME, hashAlgorithm: 'sha512', ...extra });
const azure = (v: 0 | 1) => JSON.parse(readFileSync(fixturePath(`az-tdx-vtpm/evidence-v${v}.json`), 'utf8')) as Record<string, unknown>;

const failure = (fn: () => unknown) => thrown(fn, 'as');

describe('buildItaRequest', () => {
  test('sends TDX evidence with the canonical runtime-data text the attester hashed', () => {
    const plan = buildItaRequest([item('tdx', { quote: QUOTE, cc_eventlog: 'AAEC' })], CHOICE);
    assert.equal(plan.path, '/appraisal/v2/attest');
    assert.deepEqual(Object.keys(plan.body).sort(), ['policy_ids', 'policy_must_match', 'tdx']);
    assert.deepEqual(plan.body.policy_ids, ['p1']);
    assert.equal(plan.body.policy_must_match, true);
    const tdx = plan.body.tdx!;
    assert.equal(tdx.quote, QUOTE);
    assert.equal(tdx.event_log, 'AAEC');
    assert.equal(tdx.user_data, undefined);
    const text = Buffer.from(fromBase64(tdx.runtime_data)).toString('utf8');
    assert.equal(text, canonicalize(RUNTIME));
    assert.equal(text, '{"additional-evidence":"","nonce":"bm9uY2U=","tee-pubkey":{"alg":"ECDH-ES+A256KW","crv":"P-256","kty":"EC","x":"xxxx","y":"yyyy"}}');
    assert.equal(toHex(digest('sha512', text)), toHex(runtimeDataDigest(RUNTIME, 'sha512')));
  });

  test('leaves out event_log when the TDX evidence has no event log, and sends SGX evidence as sgx', () => {
    const tdx = buildItaRequest([item('tdx', { quote: QUOTE, cc_eventlog: null })], CHOICE).body.tdx!;
    assert.deepEqual(Object.keys(tdx).sort(), ['quote', 'runtime_data']);
    const sgx = buildItaRequest([item('sgx', { quote: QUOTE })], CHOICE);
    assert.equal(sgx.body.sgx?.quote, QUOTE);
    assert.equal(sgx.body.tdx, undefined);
  });

  test('asks ITA to match its policies only when there are some and unmatched ones are not allowed', () => {
    const ev = [item('tdx', { quote: QUOTE })];
    assert.equal(buildItaRequest(ev, { policyIds: [], allowUnmatchedPolicy: false }).body.policy_must_match, false);
    assert.equal(buildItaRequest(ev, { policyIds: ['a'], allowUnmatchedPolicy: false }).body.policy_must_match, true);
    assert.equal(buildItaRequest(ev, { policyIds: ['a'], allowUnmatchedPolicy: true }).body.policy_must_match, false);
  });

  for (const v of [0, 1] as const) {
    test(`sends Azure TDX vTPM evidence v${v} to the azure path with the HCL variable data as runtime data`, () => {
      const plan = buildItaRequest([item('az-tdx-vtpm', azure(v))], CHOICE);
      assert.equal(plan.path, '/appraisal/v2/attest/azure');
      const tdx = plan.body.tdx!;
      assert.deepEqual(fromBase64(tdx.quote), fixture('az-tdx-vtpm/td-quote.bin'));
      assert.deepEqual(fromBase64(tdx.runtime_data), parseHclReport(fixture('az-tdx-vtpm/hcl-report.bin')).varData);
      assert.equal(Buffer.from(fromBase64(tdx.user_data!)).toString('utf8'), canonicalize(RUNTIME));
    });
  }

  test('sends Hopper and Blackwell GPUs with a nonce from the runtime data and names the devices left out', () => {
    const gpu = (arch: string) => ({ evidence: `ev-${arch}`, certificate: `cert-${arch}`, arch });
    const plan = buildItaRequest([item('tdx', { quote: QUOTE }), item('nvidia', { device_evidence_list: [gpu('LS10'), gpu('HOPPER'), gpu('BLACKWELL')] })], CHOICE);
    assert.deepEqual(plan.body.nvgpu, {
      gpu_nonce: toHex(digest('sha512', canonicalize(RUNTIME)).subarray(0, 32)),
      arch: 'HOPPER',
      evidence_list: [
        { evidence: 'ev-HOPPER', certificate: 'cert-HOPPER' },
        { evidence: 'ev-BLACKWELL', certificate: 'cert-BLACKWELL' },
      ],
    });
    assert.equal(plan.skipped.length, 1);
    assert.match(plan.skipped[0]!, /"LS10"/);
    const none = buildItaRequest([item('tdx', { quote: QUOTE }), item('nvidia', { device_evidence_list: [gpu('LS10')] })], CHOICE);
    assert.equal(none.body.nvgpu, undefined);
  });

  test('refuses TEEs that ITA does not appraise, naming them', () => {
    const f = failure(() => buildItaRequest([item('snp', {})], CHOICE));
    assert.ok(f.error instanceof Unsupported);
    assert.equal(f.check, 'as.tee.unsupported');
    assert.match((f.error as Error).message, /snp/);
  });

  test('refuses evidence of the wrong shape with a MalformedInput naming the field', () => {
    const cases: Array<[Tee, unknown, RegExp]> = [
      ['tdx', { quote: 5 }, /quote/],
      ['tdx', { quote: '' }, /quote/],
      ['tdx', { quote: '!!not base64!!' }, /quote/],
      ['tdx', { quote: QUOTE, cc_eventlog: 7 }, /cc_eventlog/],
      ['tdx', 'a string', /evidence/],
      ['az-tdx-vtpm', { ...azure(1), hcl_report: 'AAAA' }, /HCL|hcl/],
      ['nvidia', { device_evidence_list: 'x' }, /device_evidence_list/],
      ['nvidia', { device_evidence_list: [{ evidence: 'e', arch: 'HOPPER' }] }, /certificate/],
    ];
    for (const [tee, evidence, where] of cases) {
      const f = failure(() => buildItaRequest([item(tee, evidence)], CHOICE));
      assert.ok(f.error instanceof MalformedInput, `${tee} ${JSON.stringify(evidence).slice(0, 60)}: ${String(f.error)}`);
      assert.equal(f.check, 'as.ita.evidence');
      assert.match((f.error as Error).message, where);
    }
  });

  test('refuses an Azure HCL report with a flipped magic or cut short', () => {
    const hcl = fixture('az-tdx-vtpm/hcl-report.bin');
    const flipped = Uint8Array.from(hcl);
    flipped[0]! ^= 0xff;
    for (const bytes of [flipped, hcl.subarray(0, 100)]) {
      const ev = { ...azure(1), hcl_report: Buffer.from(bytes).toString('base64url') };
      const f = failure(() => buildItaRequest([item('az-tdx-vtpm', ev)], CHOICE));
      assert.ok(f.error instanceof MalformedInput, String(f.error));
      assert.equal(f.check, 'as.ita.evidence');
    }
  });

  test('refuses raw runtime data, which ITA cannot be given as text', () => {
    const f = failure(() => buildItaRequest([{ tee: 'tdx', evidence: { quote: QUOTE }, rawRuntimeData: new Uint8Array(64), hashAlgorithm: 'sha512' }], CHOICE));
    assert.ok(f.error instanceof Unsupported);
    assert.equal(f.check, 'as.ita.evidence');
  });

  test('fails only with typed errors on arbitrary evidence (fuzz)', () => {
    fc.assert(
      fc.property(fc.constantFrom<Tee>('tdx', 'sgx', 'az-tdx-vtpm', 'nvidia', 'snp'), fc.jsonValue({ maxDepth: 3 }), (tee, evidence) => {
        try {
          buildItaRequest([item(tee, evidence)], CHOICE);
        } catch (err) {
          assert.ok(isCocoError(err), `untyped failure: ${String(err)}`);
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('itaChallengeParams', () => {
  const offered = (algs: unknown) => ({ 'supported-hash-algorithms': algs });
  test('answers "" when the guest offers no hash algorithms (older guests)', () => {
    for (const params of [null, '', {}, 'text', [], { other: 1 }]) {
      for (const tee of ['tdx', 'sgx'] as const) assert.equal(itaChallengeParams(tee, params), '', JSON.stringify(params));
    }
  });

  test('selects SHA-512 for TDX and SHA-256 for SGX and Azure TDX vTPM, case-insensitively', () => {
    assert.deepEqual(itaChallengeParams('tdx', offered(['sha256', 'sha384', 'sha512', 'sm3'])), { 'selected-hash-algorithm': 'sha512' });
    assert.deepEqual(itaChallengeParams('tdx', offered(['SHA512'])), { 'selected-hash-algorithm': 'sha512' });
    assert.deepEqual(itaChallengeParams('sgx', offered(['sha256', 'sha512'])), { 'selected-hash-algorithm': 'sha256' });
    assert.deepEqual(itaChallengeParams('az-tdx-vtpm', offered(['sha256'])), { 'selected-hash-algorithm': 'sha256' });
  });

  test('refuses a guest that lacks the algorithm ITA needs, offers none, or is not a TEE ITA appraises', () => {
    const cases: Array<[Tee, unknown, RegExp]> = [
      ['tdx', offered(['sha256']), /needs sha512/],
      ['sgx', offered(['sha512']), /needs sha256/],
      ['tdx', offered([]), /offers no/],
      ['tdx', offered([1, 2]), /offers no/],
      ['snp', offered(['sha384']), /does not appraise snp/],
    ];
    for (const [tee, params, message] of cases) {
      const f = failure(() => itaChallengeParams(tee, params));
      assert.ok(f.error instanceof Unsupported, String(f.error));
      assert.equal(f.check, 'kbs.auth.hash_algorithm');
      assert.match((f.error as Error).message, message);
    }
    const f = failure(() => itaChallengeParams('tdx', offered('sha512')));
    assert.ok(f.error instanceof MalformedInput);
    assert.equal(f.check, 'kbs.request.malformed');
  });
});

describe('itaBaseUrl', () => {
  test('accepts https URLs, dropping a trailing slash', () => {
    assert.equal(itaBaseUrl('https://api.trustauthority.intel.com'), 'https://api.trustauthority.intel.com');
    assert.equal(itaBaseUrl('https://api.example/ita/'), 'https://api.example/ita');
  });

  test('refuses URLs the API key should not be sent to, or that are not URLs', () => {
    for (const bad of ['example.io', 'http://api.example', 'https://api.example/?a=1', 'https://u:p@api.example', 'ftp://x', '']) {
      assert.throws(() => itaBaseUrl(bad), MalformedInput, bad);
    }
    for (const secret of ['https://user:hunter2@api.example', 'http://user:hunter2@api.example', 'user:hunter2@api']) {
      assert.throws(() => itaBaseUrl(secret), (e: unknown) => e instanceof MalformedInput && !e.message.includes('hunter2'), secret);
    }
  });
});
