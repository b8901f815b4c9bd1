/**
 * TDX verification throughput: full quote verification (PCK chain, QE report, binding, quote
 * signature), with and without TCB collateral, next to one raw P-256 `crypto.verify` measured in the
 * same run. A warm quote verification needs two such verifies, so 50 % of the raw rate is the ceiling.
 */
import { createPublicKey, verify } from 'node:crypto';
import { tdxCollateralFromDir } from '../src/trustee/collateral/tdx-offline.js';
import { createVerifier, encodeTdxEvidence, parseCcEventLog, replayRegister, tdxVerifier } from '../src/verifier/index.js';
import { fixture, fixturePath } from '../test/support/fixtures.js';
import { cpuRates } from './cpu-rates.js';
import type { BenchSection } from './run.js';
import { fmt } from './util.js';

/** Quote v4 layout: 48-byte header, 584-byte TD report body, u32 signature-data length, then r‖s and x‖y. */
const SIGNED_END = 48 + 584;

export async function run(): Promise<BenchSection> {
  const quote = fixture('tdx/tdx_quote_6.dat');
  const evidence = encodeTdxEvidence(quote);
  const asOf = new Date('2025-11-01T00:00:00Z');

  // Baseline: the quote's own signature with a prepared key object.
  const sig = quote.subarray(SIGNED_END + 4, SIGNED_END + 4 + 64);
  const attKey = quote.subarray(SIGNED_END + 4 + 64, SIGNED_END + 4 + 128);
  const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), Buffer.from([4]), attKey]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const signed = quote.subarray(0, SIGNED_END);
  if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('baseline signature does not verify');

  const optional = tdxVerifier({}, { collateral: 'optional' });
  const withCollateral = createVerifier('tdx', { tdxCollateral: await tdxCollateralFromDir(fixturePath('tdx')) });
  const r = await withCollateral.evaluate(evidence, {}, asOf);
  if (r.claims.tcb_status !== 'OutOfDate') throw new Error(`unexpected tcb_status ${String(r.claims.tcb_status)}`);
  const ccel = fixture('eventlog/CCEL_AAEL_alibabacloud');
  const events = parseCcEventLog(ccel).events.length;

  const rate = await cpuRates({
    raw: () => verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, sig),
    chain: () => optional.evaluate(evidence, {}, asOf),
    full: () => withCollateral.evaluate(evidence, {}, asOf),
    log: () => {
      const l = parseCcEventLog(ccel);
      for (let i = 1; i <= 4; i++) replayRegister(l, i, 'SHA-384');
    },
  });
  const row = (name: string, ops: number) => `| ${name} | ${fmt(ops)} | ${fmt((ops / rate.raw) * 100, 1)} % | ${fmt(rate.raw / ops, 1)} |`;
  const body = [
    '`tdx/tdx_quote_6.dat` (v4), warm caches, one core, serial calls; rates per CPU-second of this process',
    '(robust to other load), 20 interleaved rounds of about 100 ms CPU each.',
    '',
    '| operation | ops per CPU-second | vs raw verify | cost in raw verifies |',
    '|---|---:|---:|---:|',
    row('raw `crypto.verify` ECDSA P-256 (cached KeyObject)', rate.raw),
    row('TDX quote: signature chain only (PCK chain, QE report, binding, quote)', rate.chain),
    row('TDX quote: + collateral (TCB signing chain, TCB info, QE identity, TCB level)', rate.full),
    row(`CCEL parse + replay RTMR0..3 (${events} events, AAEL)`, rate.log),
    '',
    'Warm caches: the verifier keeps chains and collateral documents whose signatures verified and',
    'the key objects it built (keyed by their exact bytes), so a warm quote verification does 2 ECDSA',
    'verifications (QE report and quote; ceiling 50 % of raw) plus parsing, validity-window, binding',
    'and TCB checks, which are never cached. Cold, it does 4 (+3 with collateral).',
  ].join('\n');
  return { title: 'TDX quote verification', body };
}
