/**
 * SNP appraisal throughput on one core with a warm certificate/chain cache, next to the raw
 * ECDSA P-384 verify that dominates it (same run, same report bytes). Target: ≥ 85 % of raw.
 */
import { X509Certificate, verify } from 'node:crypto';
import { createVerifier, parseSnpEvidence } from '../src/verifier/index.js';
import { fixtureText } from '../test/support/fixtures.js';
import { cpuRates } from './cpu-rates.js';
import type { BenchSection } from './run.js';
import { fmt } from './util.js';

export async function run(): Promise<BenchSection> {
  const text = fixtureText('snp/genoa-evidence.json');
  const evidence = JSON.parse(text) as unknown;
  const now = new Date('2026-01-01T00:00:00Z');
  const verifier = createVerifier('snp');
  await verifier.evaluate(evidence, {}, now); // warm the certificate and chain caches

  // Raw baseline: the report signature alone, with a cached KeyObject and precomputed P1363 bytes
  // (the report stores r and s little-endian in 72-byte fields).
  const ev = parseSnpEvidence(evidence);
  const key = new X509Certificate(ev.certChain![0]!.data).publicKey;
  const le = ev.report.signature;
  const sig = new Uint8Array(96);
  for (let j = 0; j < 48; j++) {
    sig[j] = le.r[47 - j]!;
    sig[48 + j] = le.s[47 - j]!;
  }
  const signed = ev.reportBytes.subarray(0, 0x2a0);
  if (!verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('baseline signature does not verify');

  const rate = await cpuRates({
    raw: () => verify('sha384', signed, { key, dsaEncoding: 'ieee-p1363' }, sig),
    obj: () => verifier.evaluate(evidence, {}, now),
    txt: () => verifier.evaluate(JSON.parse(text), {}, now),
  }, 30);
  const r = rate.raw;
  const rows = [
    ['raw `crypto.verify` ECDSA P-384 (cached KeyObject)', r, 1],
    ['SNP `evaluate`, evidence already parsed from JSON', rate.obj, rate.obj / r],
    [`SNP \`evaluate\` including \`JSON.parse\` of the ${fmt(text.length / 1024, 1)} KB evidence`, rate.txt, rate.txt / r],
  ] as const;
  const body = [
    'Genoa evidence (`snp/genoa-evidence.json`), VCEK from the certificate table, warm certificate and chain',
    'caches, one core, serial calls; rates per CPU-second of this process (robust to other load), 30 interleaved',
    'rounds of about 100 ms CPU each.',
    'Target: appraisal ≥ 85 % of the raw verify rate.',
    '',
    '| operation | ops per CPU-second | vs raw verify |',
    '|---|---:|---:|',
    ...rows.map(([name, ops, ratio]) => `| ${name} | ${fmt(ops)} | ${fmt(ratio * 100, 1)} % |`),
  ].join('\n');
  return { title: 'SEV-SNP appraisal', body };
}
