/**
 * The SEV-SNP checks, one function each, in the order `evaluate` runs them (README.md): report
 * version, CPU generation, endorsement key and its chain to the embedded AMD roots, report
 * signature, reported TCB against the key's certificate, VMPL, report_data and host_data bindings.
 * Each records a named check `<prefix>.<object>.<check>` and throws `VerificationFailed` on failure.
 * @module
 */
import { verify as cryptoVerify } from 'node:crypto';
import { bytesEqual, isAllZero, resizeBytes, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import { isSignedBy, verifyCertChain } from '../common/cert-chain.js';
import type { Certificate } from '../common/x509.js';
import type { SnpVekSource } from '../verifier.js';
import type { SnpCertEntry } from './evidence.js';
import { SNP, snpGeneration, usesTurinTcbLayout, type SnpGeneration, type SnpReport } from './report.js';
import { amdRoots, parseVek, readVekInfo, type VekInfo } from './vek.js';

/** Report versions this verifier accepts: v3 adds CPUID (needed to pick the roots), v5 is the newest ABI. */
export const SNP_REPORT_VERSIONS = { min: 3, max: 5 } as const;

export function checkVersion(report: SnpReport, trace: CheckTrace, p = 'snp'): void {
  const v = report.version;
  if (v < SNP_REPORT_VERSIONS.min) {
    trace.fail(`${p}.report.version`, `report version ${v} is too old: version 3 or later carries the CPUID needed to choose the AMD roots (update the firmware)`, {
      expected: '3..5',
      actual: String(v),
    });
  }
  trace.require(v <= SNP_REPORT_VERSIONS.max, `${p}.report.version`, `report version ${v} is newer than this verifier knows`, { expected: '3..5', actual: String(v) });
}

export function checkGeneration(report: SnpReport, trace: CheckTrace, p = 'snp'): SnpGeneration {
  const gen = snpGeneration(report);
  const actual = `family 0x${(report.cpuidFamId ?? 0).toString(16)} model 0x${(report.cpuidModId ?? 0).toString(16)}`;
  if (!gen) return trace.fail(`${p}.report.generation`, `unsupported CPU (${actual})`, { actual });
  trace.pass(`${p}.report.generation`, { actual: gen });
  return gen;
}

/** The endorsement key chosen for a report and the chain that anchors it. */
export interface VekChoice {
  vek: Certificate;
  info: VekInfo;
  /** Leaf first: VEK, ASK or ASVK, ARK. */
  chain: Certificate[];
  origin: 'cert_chain' | 'vek_source';
}

/**
 * Pick the VEK: from the evidence's certificate table when present (VCEK or VLEK, first wins; a
 * supplied ARK must be signed by the embedded one; missing ASK/ARK come from the embedded set),
 * otherwise from `source` (offline store or KDS) with the embedded chain.
 */
export async function resolveVek(
  report: SnpReport,
  certChain: SnpCertEntry[] | null,
  gen: SnpGeneration,
  source: SnpVekSource | undefined,
  trace: CheckTrace,
  p = 'snp',
): Promise<VekChoice> {
  const roots = amdRoots(gen);
  if (certChain && certChain.length > 0) {
    let ark: Certificate | undefined;
    let ask: Certificate | undefined;
    let vekEntry: SnpCertEntry | undefined;
    for (const e of certChain) {
      if (e.certType === 'ARK') ark = parseVek(e.data);
      else if (e.certType === 'ASK') ask = parseVek(e.data);
      else if ((e.certType === 'VCEK' || e.certType === 'VLEK') && !vekEntry) vekEntry = e;
    }
    if (!vekEntry) return trace.fail(`${p}.vek.source`, 'the certificate table holds neither a VCEK nor a VLEK');
    if (ark) trace.require(isSignedBy(ark, roots.ark), `${p}.ark.provided`, `the supplied ARK is not signed by the embedded ${gen} ARK`);
    const vek = parseVek(vekEntry.data);
    const info = readVekInfo(vek);
    const inter = ask ?? (vekEntry.certType === 'VLEK' ? roots.asvk : roots.ask);
    trace.pass(`${p}.vek.source`, { actual: `${vekEntry.certType} from the evidence certificate table` });
    return { vek, info, chain: [vek, inter, ark ?? roots.ark], origin: 'cert_chain' };
  }
  const query = { generation: gen, chipId: report.chipId, tcb: { ...report.reportedTcb, fmc: report.reportedTcb.fmc ?? undefined } };
  const der = source ? await source.getVek(query) : undefined;
  if (!der) return trace.fail(`${p}.vek.source`, 'the evidence carries no certificate and no VCEK source has one for this chip and TCB');
  const vek = parseVek(der);
  const info = readVekInfo(vek);
  trace.pass(`${p}.vek.source`, { actual: `${info.kind} from the configured VCEK source` });
  return { vek, info, chain: [vek, info.kind === 'VLEK' ? roots.asvk : roots.ask, roots.ark], origin: 'vek_source' };
}

/** ARK → ASK/ASVK → VEK: signatures, issuer names, and validity as of `now`. */
export function checkCertChain(choice: VekChoice, now: Date, trace: CheckTrace, p = 'snp'): void {
  const r = verifyCertChain(choice.chain, now);
  if (r.ok) {
    trace.pass(`${p}.cert_chain.signature`);
    trace.pass(`${p}.cert_chain.validity`, { detail: `as of ${now.toISOString()}` });
    return;
  }
  const who = r.subject ?? `certificate ${r.index}`;
  if (r.reason === 'signature' || r.reason === 'issuer_name') {
    trace.fail(`${p}.cert_chain.signature`, `${who} is not ${r.reason === 'signature' ? 'signed' : 'issued'} by the next certificate of the AMD chain`);
  }
  trace.pass(`${p}.cert_chain.signature`);
  trace.fail(`${p}.cert_chain.validity`, `${who} is ${r.reason === 'expired' ? 'expired' : 'not yet valid'} as of ${now.toISOString()}`);
}

/** ECDSA P-384 r/s little-endian, zero-padded to 72 bytes → IEEE P1363 (big-endian 48 ‖ 48). */
function p1363(sig: { r: Uint8Array; s: Uint8Array }): Uint8Array | undefined {
  const out = new Uint8Array(96);
  for (const [i, c] of [sig.r, sig.s].entries()) {
    if (!isAllZero(c.subarray(48))) return undefined;
    for (let j = 0; j < 48; j++) out[i * 48 + j] = c[47 - j]!;
  }
  return out;
}

/** The report's ECDSA P-384/SHA-384 signature over bytes 0x000–0x29F, by the VEK. */
export function checkReportSignature(reportBytes: Uint8Array, report: SnpReport, vek: Certificate, trace: CheckTrace, p = 'snp'): void {
  const sig = p1363(report.signature);
  let ok = false;
  if (sig && report.sigAlgo === 1 /* ECDSA P-384 with SHA-384, ABI Table 125 */) {
    try {
      ok = cryptoVerify('sha384', reportBytes.subarray(0, SNP.SIGNATURE_OFFSET), { key: vek.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
    } catch {
      ok = false;
    }
  }
  trace.require(ok, `${p}.report.signature`, `the report is not signed by the ${vek.subjectCN ?? 'endorsement key'}`);
}

/** Reported TCB == the TCB in the VEK's extensions (FMC on Turin); VCEK hwID == chip_id unless masked. */
export function checkReportTcb(report: SnpReport, info: VekInfo, trace: CheckTrace, p = 'snp'): void {
  const t = report.reportedTcb;
  const c = info.tcb;
  const turin = usesTurinTcbLayout(report);
  const fmt = (x: { bootloader: number; tee: number; snp: number; microcode: number; fmc?: number | null | undefined }) =>
    `bl ${x.bootloader} tee ${x.tee} snp ${x.snp} ucode ${x.microcode}${turin ? ` fmc ${x.fmc ?? '-'}` : ''}`;
  const same = t.bootloader === c.bootloader && t.tee === c.tee && t.snp === c.snp && t.microcode === c.microcode && (!turin || t.fmc === (c.fmc ?? null));
  trace.require(same, `${p}.report.tcb`, 'the reported TCB does not match the endorsement key certificate', { expected: fmt(c), actual: fmt(t) });
  if (info.kind === 'VCEK' && info.hwId && !isAllZero(report.chipId)) {
    const id = report.chipId.subarray(0, info.hwId.length);
    trace.require(bytesEqual(id, info.hwId), `${p}.report.chip_id`, 'the report was produced on another chip than the VCEK was issued for', {
      expected: toHex(info.hwId),
      actual: toHex(id),
    });
  }
}

export function checkVmpl(report: SnpReport, trace: CheckTrace, p = 'snp'): void {
  trace.require(report.vmpl === 0, `${p}.report.vmpl`, 'the report was not requested from VMPL 0', { expected: '0', actual: String(report.vmpl) });
}

/** report_data == expected digest zero-padded (or truncated) to 64 bytes. */
export function checkReportData(report: SnpReport, expected: Uint8Array | undefined, trace: CheckTrace, p = 'snp'): void {
  if (!expected) return;
  const want = resizeBytes(expected, 64);
  trace.require(bytesEqual(want, report.reportData), `${p}.report.report_data`, 'report_data does not match the runtime-data digest', {
    expected: toHex(want),
    actual: toHex(report.reportData),
  });
}

/** host_data == expected init-data digest zero-padded (or truncated) to 32 bytes. */
export function checkHostData(report: SnpReport, expected: Uint8Array | undefined, trace: CheckTrace, p = 'snp'): void {
  if (!expected) return;
  const want = resizeBytes(expected, 32);
  trace.require(bytesEqual(want, report.hostData), `${p}.report.host_data`, 'host_data does not match the init-data digest', {
    expected: toHex(want),
    actual: toHex(report.hostData),
  });
}
