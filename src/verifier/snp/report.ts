/**
 * The SEV-SNP ATTESTATION_REPORT (SEV-SNP Firmware ABI spec, rev 1.55+, Table 23 "ATTESTATION_REPORT
 * Structure"): 1184 bytes, little-endian, signed over bytes 0x000–0x29F. Parse from and encode to
 * bytes; the TCB_VERSION layout depends on the CPU generation (Turin adds an FMC byte).
 * @module
 */
import { ByteReader, MalformedInput } from '../../core/index.js';

export type SnpGeneration = 'Milan' | 'Genoa' | 'Turin';

/** Byte offsets (SEV-SNP ABI Table 23). */
export const SNP = {
  REPORT_SIZE: 1184,
  /** Everything before the signature is signed (ECDSA P-384 with SHA-384). */
  SIGNATURE_OFFSET: 0x2a0,
  SIGNATURE_COMPONENT_SIZE: 72,
  REPORT_DATA_OFFSET: 0x50,
  REPORTED_TCB_OFFSET: 0x180,
  CPUID_OFFSET: 0x188,
  CHIP_ID_OFFSET: 0x1a0,
  MIT_VECTOR_OFFSET: 0x1f8,
} as const;

/** TCB_VERSION. `fmc` exists only on Turin and later (null elsewhere, as the sev crate serialises it). */
export interface TcbVersion {
  fmc: number | null;
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
}

export interface FirmwareVersion {
  major: number;
  minor: number;
  build: number;
}

export interface SnpReport {
  version: number;
  guestSvn: number;
  policy: bigint;
  familyId: Uint8Array;
  imageId: Uint8Array;
  vmpl: number;
  sigAlgo: number;
  currentTcb: TcbVersion;
  platInfo: bigint;
  keyInfo: number;
  reportData: Uint8Array;
  measurement: Uint8Array;
  hostData: Uint8Array;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array;
  reportId: Uint8Array;
  reportIdMa: Uint8Array;
  reportedTcb: TcbVersion;
  /** CPUID family/model/stepping: report version 3 and later; null before. */
  cpuidFamId: number | null;
  cpuidModId: number | null;
  cpuidStep: number | null;
  chipId: Uint8Array;
  committedTcb: TcbVersion;
  current: FirmwareVersion;
  committed: FirmwareVersion;
  launchTcb: TcbVersion;
  /** Mitigation vectors: report version 5 and later; null before. */
  launchMitVector: bigint | null;
  currentMitVector: bigint | null;
  /** ECDSA r and s, little-endian, zero-padded to 72 bytes each. */
  signature: { r: Uint8Array; s: Uint8Array };
}

/** True when the report's CPUID says Turin (family 0x1A), which changes the TCB_VERSION layout. */
export function usesTurinTcbLayout(r: Pick<SnpReport, 'version' | 'cpuidFamId'>): boolean {
  return r.version >= 3 && r.cpuidFamId === 0x1a;
}

/**
 * TCB_VERSION bytes (ABI Table 3): Milan/Genoa `[bl, tee, rsvd×4, snp, ucode]`;
 * Turin `[fmc, bl, tee, snp, rsvd×3, ucode]`.
 */
function decodeTcb(b: Uint8Array, turin: boolean): TcbVersion {
  return turin
    ? { fmc: b[0]!, bootloader: b[1]!, tee: b[2]!, snp: b[3]!, microcode: b[7]! }
    : { fmc: null, bootloader: b[0]!, tee: b[1]!, snp: b[6]!, microcode: b[7]! };
}

function encodeTcb(t: TcbVersion, turin: boolean): Uint8Array {
  return turin ? new Uint8Array([t.fmc ?? 0, t.bootloader, t.tee, t.snp, 0, 0, 0, t.microcode]) : new Uint8Array([t.bootloader, t.tee, 0, 0, 0, 0, t.snp, t.microcode]);
}

/** Parse a 1184-byte report. Throws `MalformedInput` when the size is wrong. */
export function parseSnpReport(bytes: Uint8Array): SnpReport {
  if (bytes.length !== SNP.REPORT_SIZE) throw new MalformedInput(`SNP report: ${bytes.length} bytes, expected ${SNP.REPORT_SIZE}`, { where: 'snp.report' });
  const r = new ByteReader(bytes, 'SNP report');
  const version = r.u32le();
  const cpuidFamId = version >= 3 ? bytes[SNP.CPUID_OFFSET]! : null;
  const turin = usesTurinTcbLayout({ version, cpuidFamId });
  const copy = (n: number) => new Uint8Array(r.bytesN(n));
  const tcb = () => decodeTcb(r.bytesN(8), turin);
  const fw = (): FirmwareVersion => {
    const [build, minor, major] = r.bytesN(4);
    return { major: major!, minor: minor!, build: build! };
  };
  const out = {
    version,
    guestSvn: r.u32le(),
    policy: r.u64le(),
    familyId: copy(16),
    imageId: copy(16),
    vmpl: r.u32le(),
    sigAlgo: r.u32le(),
    currentTcb: tcb(),
    platInfo: r.u64le(),
    keyInfo: r.u32le(),
  } as Partial<SnpReport> as SnpReport;
  r.skip(4);
  out.reportData = copy(64);
  out.measurement = copy(48);
  out.hostData = copy(32);
  out.idKeyDigest = copy(48);
  out.authorKeyDigest = copy(48);
  out.reportId = copy(32);
  out.reportIdMa = copy(32);
  out.reportedTcb = tcb();
  const [fam, mod, step] = r.bytesN(3);
  out.cpuidFamId = version >= 3 ? fam! : null;
  out.cpuidModId = version >= 3 ? mod! : null;
  out.cpuidStep = version >= 3 ? step! : null;
  r.skip(21);
  out.chipId = copy(64);
  out.committedTcb = tcb();
  out.current = fw();
  out.committed = fw();
  out.launchTcb = tcb();
  const launchMit = r.u64le();
  const currentMit = r.u64le();
  out.launchMitVector = version >= 5 ? launchMit : null;
  out.currentMitVector = version >= 5 ? currentMit : null;
  r.offset = SNP.SIGNATURE_OFFSET;
  out.signature = { r: copy(SNP.SIGNATURE_COMPONENT_SIZE), s: copy(SNP.SIGNATURE_COMPONENT_SIZE) };
  return out;
}

/**
 * Encode a report to its 1184 bytes exactly as the firmware lays it out; reserved bytes are zero
 * (the JSON evidence does not carry them, as in the sev crate's encoder).
 */
export function encodeSnpReport(rep: SnpReport): Uint8Array {
  const out = new Uint8Array(SNP.REPORT_SIZE);
  const dv = new DataView(out.buffer);
  const turin = usesTurinTcbLayout(rep);
  const put = (off: number, b: Uint8Array, len: number) => {
    if (b.length !== len) throw new MalformedInput(`SNP report: field at 0x${off.toString(16)} has ${b.length} bytes, expected ${len}`, { where: `snp.report@${off}` });
    out.set(b, off);
  };
  dv.setUint32(0x00, rep.version, true);
  dv.setUint32(0x04, rep.guestSvn, true);
  dv.setBigUint64(0x08, rep.policy, true);
  put(0x10, rep.familyId, 16);
  put(0x20, rep.imageId, 16);
  dv.setUint32(0x30, rep.vmpl, true);
  dv.setUint32(0x34, rep.sigAlgo, true);
  put(0x38, encodeTcb(rep.currentTcb, turin), 8);
  dv.setBigUint64(0x40, rep.platInfo, true);
  dv.setUint32(0x48, rep.keyInfo, true);
  put(0x50, rep.reportData, 64);
  put(0x90, rep.measurement, 48);
  put(0xc0, rep.hostData, 32);
  put(0xe0, rep.idKeyDigest, 48);
  put(0x110, rep.authorKeyDigest, 48);
  put(0x140, rep.reportId, 32);
  put(0x160, rep.reportIdMa, 32);
  put(0x180, encodeTcb(rep.reportedTcb, turin), 8);
  if (rep.version >= 3) out.set([rep.cpuidFamId ?? 0, rep.cpuidModId ?? 0, rep.cpuidStep ?? 0], 0x188);
  put(0x1a0, rep.chipId, 64);
  put(0x1e0, encodeTcb(rep.committedTcb, turin), 8);
  out.set([rep.current.build, rep.current.minor, rep.current.major], 0x1e8);
  out.set([rep.committed.build, rep.committed.minor, rep.committed.major], 0x1ec);
  put(0x1f0, encodeTcb(rep.launchTcb, turin), 8);
  if (rep.version >= 5) {
    dv.setBigUint64(0x1f8, rep.launchMitVector ?? 0n, true);
    dv.setBigUint64(0x200, rep.currentMitVector ?? 0n, true);
  }
  put(0x2a0, rep.signature.r, SNP.SIGNATURE_COMPONENT_SIZE);
  put(0x2e8, rep.signature.s, SNP.SIGNATURE_COMPONENT_SIZE);
  return out;
}

/**
 * CPU generation from CPUID family/model (report v3+): family 0x19 models 0x00–0x0F Milan,
 * 0x10–0x1F and 0xA0–0xAF Genoa; family 0x1A models 0x00–0x11 Turin. Undefined otherwise.
 */
export function snpGeneration(rep: Pick<SnpReport, 'cpuidFamId' | 'cpuidModId'>): SnpGeneration | undefined {
  const fam = rep.cpuidFamId;
  const mod = rep.cpuidModId;
  if (fam === null || mod === null) return undefined;
  if (fam === 0x19) {
    if (mod <= 0x0f) return 'Milan';
    if ((mod >= 0x10 && mod <= 0x1f) || (mod >= 0xa0 && mod <= 0xaf)) return 'Genoa';
  }
  if (fam === 0x1a && mod <= 0x11) return 'Turin';
  return undefined;
}
