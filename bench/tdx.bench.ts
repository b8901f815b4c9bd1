/**
 * TDX verification throughput: full quote verification (PCK chain, QE report, binding, quote
 * signature), with and without TCB collateral, next to one raw P-256 `crypto.verify` measured in the
 * same run (a quote verification needs several of those, so the ratio shows our overhead).
 */
import { createPublicKey, verify } from 'node:crypto';
import { tdxCollateralFromDir } from '../src/trustee/collateral/tdx-offline.js';
import { createVerifier, encodeTdxEvidence, parseCcEventLog, replayRegister, tdxVerifier } from '../src/verifier/index.js';
import { fixture, fixturePath } from '../test/support/fixtures.js';
import type { BenchSection } from './run.js';
import { fmt, measure } from './util.js';

export async function run(): Promise<BenchSection> {
  const quote = fixture('tdx/tdx_quote_6.dat');
  const evidence = encodeTdxEvidence(quote);
  const asOf = new Date('2025-11-01T00:00:00Z');

  // Baseline: verify the quote's own signature with a prepared key object.
  const attKey = quote.subarray(48 + 584 + 4 + 64, 48 + 584 + 4 + 128);
  const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), Buffer.from([4]), attKey]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const signed = quote.subarray(0, 48 + 584);
  const sig = quote.subarray(48 + 584 + 4, 48 + 584 + 4 + 64);
  const raw = await measure(() => verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig));

  const optional = tdxVerifier({}, { collateral: 'optional' });
  const sigChain = await measure(() => optional.evaluate(evidence, {}, asOf));
  const withCollateral = createVerifier('tdx', { tdxCollateral: await tdxCollateralFromDir(fixturePath('tdx')) });
  const full = await measure(() => withCollateral.evaluate(evidence, {}, asOf));
  const ccel = fixture('eventlog/CCEL_AAEL_alibabacloud');
  const log = await measure(() => {
    const l = parseCcEventLog(ccel);
    for (let i = 1; i <= 4; i++) replayRegister(l, i, 'SHA-384');
  });

  const row = (name: string, m: { opsPerSec: number; p50: number; p99: number }) =>
    `| ${name} | ${fmt(m.opsPerSec)} | ${fmt(m.p50, 3)} | ${fmt(m.p99, 3)} | ${fmt(raw.opsPerSec / m.opsPerSec, 1)}× |`;
  const body = [
    '| operation | ops/s | p50 ms | p99 ms | cost in raw P-256 verifies |',
    '|---|---:|---:|---:|---:|',
    row('raw `crypto.verify` P-256 (baseline)', raw),
    row('TDX quote: signature chain only (PCK chain, QE report, binding, quote)', sigChain),
    row('TDX quote: + collateral (TCB signing chain, TCB info, QE identity, TCB level)', full),
    row('CCEL parse + replay RTMR0..3 (87 events, AAEL)', log),
    '',
    'Warm caches: the verifier keeps chains and collateral documents whose signatures verified (keyed',
    'by their exact bytes), so a warm quote verification does 2 ECDSA verifications (QE report and',
    'quote) plus parsing, validity-window, binding and TCB checks, which are never cached. Cold, it',
    'does 4 (+3 with collateral). The last column is the cost in units of one raw verify.',
  ].join('\n');
  return { title: 'TDX quote verification', body };
}
