/**
 * SNP evidence JSON exactly as the guest attester sends it (guest-components `attester/src/snp`,
 * serde form of the virtee `sev` crate's AttestationReport and CertTableEntry): byte arrays are
 * JSON arrays of integers, u64 bitfields are JSON numbers. Parse it once into typed values, and
 * encode it from raw report bytes (the attester side).
 * @module
 */
import { MalformedInput, expectArray, expectNumber, expectObject } from '../../core/index.js';
import { jsonByteArray } from '../common/json-bytes.js';
import { encodeSnpReport, parseSnpReport, type FirmwareVersion, type SnpReport, type TcbVersion } from './report.js';
import { parseVek, readVekInfo } from './vek.js';

/** Certificate-table entry types (GHCB spec, SNP extended guest request, certificate GUIDs). */
export type SnpCertType = 'ARK' | 'ASK' | 'VCEK' | 'VLEK' | 'CRL' | 'Empty' | { OTHER: string };

export interface SnpCertEntry {
  certType: SnpCertType;
  data: Uint8Array;
}

export interface SnpEvidence {
  report: SnpReport;
  /** The 1184 report bytes re-encoded from the JSON (what the firmware signed, reserved bytes zero). */
  reportBytes: Uint8Array;
  /** Null when the host provisioned no certificates. */
  certChain: SnpCertEntry[] | null;
}

const CERT_TYPES = new Set(['ARK', 'ASK', 'VCEK', 'VLEK', 'CRL', 'Empty']);

function uint(v: unknown, where: string, max: number): number {
  const n = expectNumber(v, where);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new MalformedInput(`${where}: expected an integer in 0..${max}`, { where });
  return n;
}
const u8 = (v: unknown, w: string) => uint(v, w, 0xff);
const u32 = (v: unknown, w: string) => uint(v, w, 0xffffffff);
const u64 = (v: unknown, w: string) => BigInt(uint(v, w, Number.MAX_SAFE_INTEGER));
const nullable = <T>(v: unknown, f: (v: unknown) => T): T | null => (v === null || v === undefined ? null : f(v));

/** A JSON array of byte values; `len` when the length is fixed. */
export const byteArray = jsonByteArray;

function tcb(v: unknown, where: string): TcbVersion {
  const o = expectObject(v, where);
  return {
    fmc: nullable(o.fmc, (x) => u8(x, `${where}.fmc`)),
    bootloader: u8(o.bootloader, `${where}.bootloader`),
    tee: u8(o.tee, `${where}.tee`),
    snp: u8(o.snp, `${where}.snp`),
    microcode: u8(o.microcode, `${where}.microcode`),
  };
}

function fw(v: unknown, where: string): FirmwareVersion {
  const o = expectObject(v, where);
  return { major: u8(o.major, `${where}.major`), minor: u8(o.minor, `${where}.minor`), build: u8(o.build, `${where}.build`) };
}

/** Parse the `attestation_report` object. */
export function parseReportJson(v: unknown): SnpReport {
  const o = expectObject(v, 'attestation_report');
  const w = (k: string) => `attestation_report.${k}`;
  const sig = expectObject(o.signature, w('signature'));
  return {
    version: u32(o.version, w('version')),
    guestSvn: u32(o.guest_svn, w('guest_svn')),
    policy: u64(o.policy, w('policy')),
    familyId: byteArray(o.family_id, w('family_id'), 16),
    imageId: byteArray(o.image_id, w('image_id'), 16),
    vmpl: u32(o.vmpl, w('vmpl')),
    sigAlgo: u32(o.sig_algo, w('sig_algo')),
    currentTcb: tcb(o.current_tcb, w('current_tcb')),
    platInfo: u64(o.plat_info, w('plat_info')),
    keyInfo: u32(o.key_info, w('key_info')),
    reportData: byteArray(o.report_data, w('report_data'), 64),
    measurement: byteArray(o.measurement, w('measurement'), 48),
    hostData: byteArray(o.host_data, w('host_data'), 32),
    idKeyDigest: byteArray(o.id_key_digest, w('id_key_digest'), 48),
    authorKeyDigest: byteArray(o.author_key_digest, w('author_key_digest'), 48),
    reportId: byteArray(o.report_id, w('report_id'), 32),
    reportIdMa: byteArray(o.report_id_ma, w('report_id_ma'), 32),
    reportedTcb: tcb(o.reported_tcb, w('reported_tcb')),
    cpuidFamId: nullable(o.cpuid_fam_id, (x) => u8(x, w('cpuid_fam_id'))),
    cpuidModId: nullable(o.cpuid_mod_id, (x) => u8(x, w('cpuid_mod_id'))),
    cpuidStep: nullable(o.cpuid_step, (x) => u8(x, w('cpuid_step'))),
    chipId: byteArray(o.chip_id, w('chip_id'), 64),
    committedTcb: tcb(o.committed_tcb, w('committed_tcb')),
    current: fw(o.current, w('current')),
    committed: fw(o.committed, w('committed')),
    launchTcb: tcb(o.launch_tcb, w('launch_tcb')),
    launchMitVector: nullable(o.launch_mit_vector, (x) => u64(x, w('launch_mit_vector'))),
    currentMitVector: nullable(o.current_mit_vector, (x) => u64(x, w('current_mit_vector'))),
    signature: { r: byteArray(sig.r, w('signature.r'), 72), s: byteArray(sig.s, w('signature.s'), 72) },
  };
}

function certType(v: unknown, where: string): SnpCertType {
  if (typeof v === 'string' && CERT_TYPES.has(v)) return v as SnpCertType;
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { OTHER?: unknown }).OTHER === 'string') return { OTHER: (v as { OTHER: string }).OTHER };
  throw new MalformedInput(`${where}: unknown certificate type`, { where });
}

/**
 * Parse SNP evidence JSON. Throws `MalformedInput` naming the offending field.
 * @example parseSnpEvidence(JSON.parse(text)).report.measurement
 */
export function parseSnpEvidence(input: unknown): SnpEvidence {
  const o = expectObject(input, 'evidence');
  const report = parseReportJson(o.attestation_report);
  let certChain: SnpCertEntry[] | null = null;
  if (o.cert_chain !== null && o.cert_chain !== undefined) {
    certChain = expectArray(o.cert_chain, 'cert_chain').map((e, i) => {
      const entry = expectObject(e, `cert_chain[${i}]`);
      return { certType: certType(entry.cert_type, `cert_chain[${i}].cert_type`), data: byteArray(entry.data, `cert_chain[${i}].data`) };
    });
  }
  return { report, reportBytes: encodeSnpReport(report), certChain };
}

const arr = (b: Uint8Array) => Array.from(b);
const tcbJson = (t: TcbVersion) => ({ fmc: t.fmc, bootloader: t.bootloader, tee: t.tee, snp: t.snp, microcode: t.microcode });
function num(v: bigint, where: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedInput(`${where} does not fit a JSON number`, { where });
  return Number(v);
}

/** The `attestation_report` JSON object of a parsed report (sev crate field order). */
export function reportToJson(r: SnpReport): Record<string, unknown> {
  return {
    version: r.version,
    guest_svn: r.guestSvn,
    policy: num(r.policy, 'policy'),
    family_id: arr(r.familyId),
    image_id: arr(r.imageId),
    vmpl: r.vmpl,
    sig_algo: r.sigAlgo,
    current_tcb: tcbJson(r.currentTcb),
    plat_info: num(r.platInfo, 'plat_info'),
    key_info: r.keyInfo,
    report_data: arr(r.reportData),
    measurement: arr(r.measurement),
    host_data: arr(r.hostData),
    id_key_digest: arr(r.idKeyDigest),
    author_key_digest: arr(r.authorKeyDigest),
    report_id: arr(r.reportId),
    report_id_ma: arr(r.reportIdMa),
    reported_tcb: tcbJson(r.reportedTcb),
    cpuid_fam_id: r.cpuidFamId,
    cpuid_mod_id: r.cpuidModId,
    cpuid_step: r.cpuidStep,
    chip_id: arr(r.chipId),
    committed_tcb: tcbJson(r.committedTcb),
    current: { major: r.current.major, minor: r.current.minor, build: r.current.build },
    committed: { major: r.committed.major, minor: r.committed.minor, build: r.committed.build },
    launch_tcb: tcbJson(r.launchTcb),
    launch_mit_vector: r.launchMitVector === null ? null : num(r.launchMitVector, 'launch_mit_vector'),
    current_mit_vector: r.currentMitVector === null ? null : num(r.currentMitVector, 'current_mit_vector'),
    signature: { r: arr(r.signature.r), s: arr(r.signature.s) },
  };
}

/**
 * Build SNP evidence JSON from the firmware's report bytes and certificate table (what the
 * `snp` attester sends). `certs` null means the host provisioned none.
 */
export function encodeSnpEvidence(reportBytes: Uint8Array, certs: SnpCertEntry[] | null = null): Record<string, unknown> {
  return {
    attestation_report: reportToJson(parseSnpReport(reportBytes)),
    cert_chain: certs === null ? null : certs.map((c) => ({ cert_type: c.certType, data: arr(c.data) })),
  };
}

/**
 * SNP evidence from a raw 1184-byte report and, optionally, its endorsement key (DER or PEM; its
 * subject says whether it is a VCEK or a VLEK). Without a key the certificate table is null, so the
 * verifier looks the VCEK up in its VEK source. This is how `coco evidence verify` takes a raw report.
 * @throws MalformedInput when the report or the certificate does not parse
 */
export function snpEvidenceFromReport(reportBytes: Uint8Array, vekBytes?: Uint8Array): Record<string, unknown> {
  if (vekBytes === undefined) return encodeSnpEvidence(reportBytes, null);
  const vek = parseVek(vekBytes);
  return encodeSnpEvidence(reportBytes, [{ certType: readVekInfo(vek).kind, data: vek.der }]);
}
