import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, fromHex, toBase64 } from '../../core/index.js';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import type { TdxCollateral, VerifierEnv } from '../verifier.js';
import { encodeTdxEvidence } from './evidence.js';
import { tdxVerifier } from './index.js';

const AS_OF = new Date('2025-11-01T00:00:00Z');
const TODAY = new Date('2026-11-23T00:00:00Z');

function fixtureCollateral(over: Partial<TdxCollateral> = {}): TdxCollateral {
  return { tcbInfo: fixtureText('tdx/tcbInfo.json'), tcbInfoIssuerChain: '', qeIdentity: fixtureText('tdx/enclaveIdentity.json'), qeIdentityIssuerChain: '', ...over };
}

function envWith(collateral?: TdxCollateral): VerifierEnv {
  return { tdxCollateral: { getCollateral: async (fmspc) => (collateral && fmspc === '00a06d080000' ? collateral : undefined) } };
}

function evidence(quote: Uint8Array, ccel?: Uint8Array): unknown {
  return encodeTdxEvidence(quote, ccel);
}

async function rejectsWith(p: Promise<unknown>, check: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof VerificationFailed, `expected VerificationFailed, got ${String(e)}`);
    assert.equal(e.check, check);
    assert.equal(e.trace[e.trace.length - 1]!.id, check);
    return true;
  });
}

const optional = (env: VerifierEnv = {}) => tdxVerifier(env, { collateral: 'optional' });

describe('tdxVerifier.evaluate (signature chain)', () => {
  for (const f of ['tdx/tdx_quote_4.dat', 'tdx/tdx_quote_5.dat', 'tdx/tdx_quote_6.dat', 'az-tdx-vtpm/td-quote.bin']) {
    test(`verifies the full signature chain of ${f} offline`, async () => {
      const r = await optional().evaluate(evidence(fixture(f)), {}, TODAY);
      const ids = r.checks.map((c) => `${c.id}:${c.ok}`);
      for (const id of ['tdx.quote.type', 'tdx.pck.chain', 'tdx.pck.chain.validity', 'tdx.qe_report.signature', 'tdx.qe_report.binding', 'tdx.quote.signature']) {
        assert.ok(ids.includes(`${id}:true`), `${id} passed`);
      }
      assert.equal(r.claims.tcb_status, 'Unavailable');
      assert.equal(r.teeClass, 'cpu');
    });
  }

  test('does not look up collateral for a quote whose PCK chain fails', async () => {
    let asked = 0;
    const env: VerifierEnv = { tdxCollateral: { getCollateral: async () => void asked++ } };
    await rejectsWith(tdxVerifier(env).evaluate(evidence(fixture('tdx/tdx_quote_4.dat')), {}, new Date('2040-01-01T00:00:00Z')), 'tdx.pck.chain.validity');
    assert.equal(asked, 0);
  });

  test('fails tdx.collateral by default when no collateral exists for the FMSPC', async () => {
    await rejectsWith(tdxVerifier({}).evaluate(evidence(fixture('tdx/tdx_quote_4.dat')), {}, TODAY), 'tdx.collateral');
  });

  test('rejects a quote with one flipped body byte (tdx.quote.signature)', async () => {
    const q = fixture('tdx/tdx_quote_4.dat').slice();
    q[48 + 200] ^= 0x01;
    await rejectsWith(optional().evaluate(evidence(q), {}, TODAY), 'tdx.quote.signature');
  });

  test('a warm verifier (cached PCK chain, keys, SGX extension) still checks every signature of each quote', async () => {
    const v = optional();
    const good = fixture('tdx/tdx_quote_4.dat');
    await v.evaluate(evidence(good), {}, TODAY);
    const body = good.slice();
    body[48 + 200] ^= 0x01;
    await rejectsWith(v.evaluate(evidence(body), {}, TODAY), 'tdx.quote.signature');
    const sig = good.slice();
    sig[48 + 584 + 4 + 10] ^= 0x01; // quote signature r
    await rejectsWith(v.evaluate(evidence(sig), {}, TODAY), 'tdx.quote.signature');
    const qeSig = good.slice();
    qeSig[48 + 584 + 4 + 64 + 64 + 6 + 384 + 5] ^= 0x01; // QE report signature
    await rejectsWith(v.evaluate(evidence(qeSig), {}, TODAY), 'tdx.qe_report.signature');
    assert.equal((await v.evaluate(evidence(good), {}, TODAY)).claims.tcb_status, 'Unavailable');
  });

  test('rejects a quote with a flipped header byte (tdx.quote.signature)', async () => {
    const q = fixture('tdx/tdx_quote_5.dat').slice();
    q[30] ^= 0x80; // vendor id
    await rejectsWith(optional().evaluate(evidence(q), {}, TODAY), 'tdx.quote.signature');
  });

  test('rejects a tampered QE report (tdx.qe_report.signature)', async () => {
    const q = fixture('tdx/tdx_quote_4.dat').slice();
    const qeReport = 48 + 584 + 4 + 64 + 64 + 6;
    q[qeReport + 0x100] ^= 0x01; // ISVPRODID
    await rejectsWith(optional().evaluate(evidence(q), {}, TODAY), 'tdx.qe_report.signature');
  });

  test('rejects changed QE authentication data (tdx.qe_report.binding)', async () => {
    const q = fixture('tdx/tdx_quote_4.dat').slice();
    const auth = 48 + 584 + 4 + 64 + 64 + 6 + 384 + 64 + 2;
    q[auth] ^= 0xff;
    await rejectsWith(optional().evaluate(evidence(q), {}, TODAY), 'tdx.qe_report.binding');
  });

  test('rejects an SGX quote (tdx.quote.type)', async () => {
    await rejectsWith(optional().evaluate(evidence(fixture('tdx/sgx_occlum_quote.dat')), {}, TODAY), 'tdx.quote.type');
  });

  test('rejects a PCK chain outside its validity as of the verification time', async () => {
    await rejectsWith(optional().evaluate(evidence(fixture('tdx/tdx_quote_4.dat')), {}, new Date('2040-01-01T00:00:00Z')), 'tdx.pck.chain.validity');
  });

  test('turns any flipped signed byte or truncation into MalformedInput or VerificationFailed, never a crash', async () => {
    const base = fixture('tdx/tdx_quote_5.dat');
    // Flips stay before the PEM chain: PEM whitespace may change without changing the certificates.
    const pemStart = 48 + 6 + 648 + 4 + 64 + 64 + 6 + 384 + 64 + 2 + 32 + 6;
    const v = optional();
    await fc.assert(
      fc.asyncProperty(fc.nat(pemStart - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (i, x, cut) => {
        const q = cut ? base.slice(0, i) : base.slice();
        if (!cut) q[i] ^= x;
        try {
          await v.evaluate(evidence(q), {}, TODAY);
          assert.fail(`a quote with byte ${i} ${cut ? 'cut' : 'flipped'} verified`);
        } catch (e) {
          if (!(e instanceof MalformedInput) && !(e instanceof VerificationFailed)) throw e;
        }
      }),
      { numRuns: 200 },
    );
  });

  test('rejects evidence that is not base64 or has no quote as MalformedInput', async () => {
    await assert.rejects(optional().evaluate({ quote: '' }, {}, TODAY), MalformedInput);
    await assert.rejects(optional().evaluate({ cc_eventlog: null }, {}, TODAY), MalformedInput);
    await assert.rejects(optional().evaluate({ quote: toBase64(new Uint8Array(10)) }, {}, TODAY), MalformedInput);
  });
});

describe('tdxVerifier.evaluate (bindings)', () => {
  const q4 = fixture('tdx/tdx_quote_4.dat');

  test('accepts the quote report data and rejects a different one (tdx.report_data)', async () => {
    const claims = (await optional().evaluate(evidence(q4), {}, TODAY)).claims;
    const rd = fromHex(String(claims.report_data));
    const ok = await optional().evaluate(evidence(q4), { reportData: rd }, TODAY);
    assert.ok(ok.checks.some((c) => c.id === 'tdx.report_data' && c.ok));
    const wrong = rd.slice();
    wrong[0] ^= 1;
    await rejectsWith(optional().evaluate(evidence(q4), { reportData: wrong }, TODAY), 'tdx.report_data');
  });

  test('checks MRCONFIGID against the init-data digest (tdx.init_data)', async () => {
    const q6 = fixture('tdx/tdx_quote_6.dat');
    const claims = (await optional().evaluate(evidence(q6), {}, TODAY)).claims;
    const digest = fromHex(String(claims.init_data));
    const ok = await optional().evaluate(evidence(q6), { initDataDigest: digest }, TODAY);
    assert.ok(ok.checks.some((c) => c.id === 'tdx.init_data' && c.ok));
    await rejectsWith(optional().evaluate(evidence(q6), { initDataDigest: new Uint8Array(48) }, TODAY), 'tdx.init_data');
  });

  test('rejects an event log that does not replay to the quote RTMRs (tdx.eventlog.replay)', async () => {
    // CCEL_data is not the log of tdx_quote_4 (upstream notes they are not a matched pair).
    await rejectsWith(optional().evaluate(evidence(q4, fixture('eventlog/CCEL_data')), {}, TODAY), 'tdx.eventlog.replay');
  });
});

describe('tdxVerifier.evaluate (collateral)', () => {
  const q6 = fixture('tdx/tdx_quote_6.dat');

  test('gives tdx_quote_6 a TCB status as of a date inside the collateral validity', async () => {
    const r = await tdxVerifier(envWith(fixtureCollateral())).evaluate(evidence(q6), {}, AS_OF);
    // PCE SVN 11 is below the UpToDate level's 13, so the 2018-01-04 OutOfDate level matches.
    assert.equal(r.claims.tcb_status, 'OutOfDate');
    assert.equal(r.claims.tcb_date, '2018-01-04T00:00:00Z');
    assert.deepEqual(r.claims.advisory_ids, []);
    assert.equal(r.claims.collateral_expiration_status, '0');
    assert.equal(r.claims.tcb_eval_num, 17);
    assert.equal(r.claims.sgx_type, 'Scalable with Integrity');
    assert.equal(typeof r.claims.is_smt_enabled, 'boolean');
    assert.equal(String(r.claims.root_key_id).length, 96);
    assert.equal(r.claims.latest_issue_date, '2025-10-28T06:45:09Z');
    assert.equal(r.claims.earliest_expiration_date, '2025-11-26T13:07:17Z');
    const golden = JSON.parse(readFileSync(new URL('./testdata/tdx_quote_6.as-of-2025-11-01.claims.json', import.meta.url), 'utf8'));
    assert.deepEqual(r.claims, golden);
    for (const id of ['tdx.tcb_signing.chain', 'tdx.tcb_info.signature', 'tdx.qe_identity.signature', 'tdx.collateral.validity', 'tdx.tcb.level', 'tdx.tcb.module', 'tdx.qe_identity', 'tdx.tcb.status']) {
      assert.ok(r.checks.some((c) => c.id === id && c.ok), `${id} passed`);
    }
  });

  test('refuses expired collateral when verifying as of today (tdx.collateral.validity)', async () => {
    await rejectsWith(tdxVerifier(envWith(fixtureCollateral())).evaluate(evidence(q6), {}, TODAY), 'tdx.collateral.validity');
  });

  test('refuses TCB info whose signature was tampered with (tdx.tcb_info.signature)', async () => {
    const text = fixtureText('tdx/tcbInfo.json').replace(/"signature":"2b/, '"signature":"2c');
    await rejectsWith(tdxVerifier(envWith(fixtureCollateral({ tcbInfo: text }))).evaluate(evidence(q6), {}, AS_OF), 'tdx.tcb_info.signature');
  });

  test('refuses TCB info whose levels were edited (tdx.tcb_info.signature)', async () => {
    const text = fixtureText('tdx/tcbInfo.json').replace('"pcesvn":13', '"pcesvn":11');
    await rejectsWith(tdxVerifier(envWith(fixtureCollateral({ tcbInfo: text }))).evaluate(evidence(q6), {}, AS_OF), 'tdx.tcb_info.signature');
  });

  test('refuses a QE identity whose signature was tampered with (tdx.qe_identity.signature)', async () => {
    const text = fixtureText('tdx/enclaveIdentity.json').replace('"isvprodid":2', '"isvprodid":3');
    await rejectsWith(tdxVerifier(envWith(fixtureCollateral({ qeIdentity: text }))).evaluate(evidence(q6), {}, AS_OF), 'tdx.qe_identity.signature');
  });

  test('refuses collateral of another FMSPC (tdx.tcb_info.platform)', async () => {
    const env: VerifierEnv = { tdxCollateral: { getCollateral: async () => fixtureCollateral() } };
    await rejectsWith(tdxVerifier(env).evaluate(evidence(fixture('tdx/tdx_quote_4.dat')), {}, AS_OF), 'tdx.tcb_info.platform');
  });

  test('refuses a TCB issuer chain that does not end at the Intel root (tdx.tcb_signing.chain)', async () => {
    const leafOnlyOther = fixtureText('snp/roots/milan_ask_ark_asvk.pem');
    await rejectsWith(tdxVerifier(envWith(fixtureCollateral({ tcbInfoIssuerChain: leafOnlyOther }))).evaluate(evidence(q6), {}, AS_OF), 'tdx.tcb_signing.chain');
  });

  test('keeps checking time on cache hits: the same verifier refuses the same collateral as of today', async () => {
    const v = tdxVerifier(envWith(fixtureCollateral()));
    const first = await v.evaluate(evidence(q6), {}, AS_OF);
    const again = await v.evaluate(evidence(q6), {}, AS_OF);
    assert.deepEqual(again.claims, first.claims);
    assert.deepEqual(again.checks.map((c) => c.id), first.checks.map((c) => c.id));
    await rejectsWith(v.evaluate(evidence(q6), {}, TODAY), 'tdx.collateral.validity');
    await rejectsWith(v.evaluate(evidence(q6), {}, new Date('2040-01-01T00:00:00Z')), 'tdx.pck.chain.validity');
  });
});
