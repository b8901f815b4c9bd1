/**
 * TPMS_ATTEST (TPM 2.0 Library Part 2 §10.12.12) for quotes: parse, encode, and the PCR digest a
 * quote commits to. All TPM structures are big-endian.
 * @module
 */
import { ByteReader, MalformedInput, concatBytes, digest, type HashAlgorithm } from '../../../core/index.js';

/** TPM_GENERATED_VALUE (Part 2 §6.2): every attestation structure the TPM signs starts with it. */
export const TPM_GENERATED_VALUE = 0xff544347;
/** TPM_ST_ATTEST_QUOTE (Part 2 §6.9). */
export const TPM_ST_ATTEST_QUOTE = 0x8018;
/** TPM_ALG_ID values we accept for PCR banks and signatures (Part 2 §6.3). */
export const TPM_ALG = { RSA: 0x0001, SHA1: 0x0004, SHA256: 0x000b, SHA384: 0x000c, SHA512: 0x000d, NULL: 0x0010, RSASSA: 0x0014, RSAPSS: 0x0016, ECDSA: 0x0018, ECC: 0x0023 } as const;

const BANK_HASH: Record<number, HashAlgorithm> = { [TPM_ALG.SHA256]: 'sha256', [TPM_ALG.SHA384]: 'sha384', [TPM_ALG.SHA512]: 'sha512' };

/** One TPMS_PCR_SELECTION: a bank and the PCR indices selected in it, ascending. */
export interface PcrSelection {
  hashAlg: number;
  pcrs: number[];
}

export interface TpmsAttest {
  magic: number;
  type: number;
  qualifiedSigner: Uint8Array;
  /** The qualifying data (nonce) the caller passed to TPM2_Quote. */
  extraData: Uint8Array;
  clock: { clock: bigint; resetCount: number; restartCount: number; safe: boolean };
  firmwareVersion: bigint;
  pcrSelections: PcrSelection[];
  pcrDigest: Uint8Array;
}

/** TPM2B_*: a u16 size and that many bytes. */
export function readTpm2b(r: ByteReader): Uint8Array {
  return r.bytesN(r.u16be());
}

function readSelections(r: ByteReader): PcrSelection[] {
  const count = r.u32be();
  // TPML_PCR_SELECTION holds at most HASH_COUNT entries (Part 2 §10.9.7); 16 is far above any real TPM.
  if (count > 16) throw new MalformedInput(`TPMS_ATTEST: ${count} PCR selections`, { where: 'tpm.attest.pcrSelect' });
  const out: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = r.u16be();
    const size = r.u8();
    const bitmap = r.bytesN(size);
    const pcrs: number[] = [];
    for (let b = 0; b < size * 8; b++) if (bitmap[b >> 3]! & (1 << (b & 7))) pcrs.push(b);
    out.push({ hashAlg, pcrs });
  }
  return out;
}

/**
 * Parse a quote's TPMS_ATTEST. Throws `MalformedInput` on a wrong magic, a non-quote type,
 * truncation or trailing bytes.
 */
export function parseTpmsAttest(bytes: Uint8Array): TpmsAttest {
  const r = new ByteReader(bytes, 'TPMS_ATTEST');
  const magic = r.u32be();
  if (magic !== TPM_GENERATED_VALUE) throw new MalformedInput('TPMS_ATTEST: magic is not TPM_GENERATED_VALUE', { where: 'tpm.attest.magic' });
  const type = r.u16be();
  if (type !== TPM_ST_ATTEST_QUOTE) throw new MalformedInput(`TPMS_ATTEST: type 0x${type.toString(16)} is not a quote`, { where: 'tpm.attest.type' });
  const qualifiedSigner = readTpm2b(r);
  const extraData = readTpm2b(r);
  const clock = { clock: r.u64be(), resetCount: r.u32be(), restartCount: r.u32be(), safe: r.u8() !== 0 };
  const firmwareVersion = r.u64be();
  const pcrSelections = readSelections(r);
  const pcrDigest = readTpm2b(r);
  if (r.remaining !== 0) throw new MalformedInput(`TPMS_ATTEST: ${r.remaining} trailing bytes`, { where: 'tpm.attest' });
  return { magic, type, qualifiedSigner, extraData, clock, firmwareVersion, pcrSelections, pcrDigest };
}

function u16(v: number): Uint8Array {
  return new Uint8Array([v >> 8, v & 0xff]);
}
function u32(v: number): Uint8Array {
  return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}
function u64(v: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, v, false);
  return out;
}
const tpm2b = (b: Uint8Array) => concatBytes(u16(b.length), b);

/** Encode a quote TPMS_ATTEST (for software TPMs in tests and for round-trip checks). */
export function encodeTpmsAttest(a: Omit<TpmsAttest, 'magic' | 'type'>): Uint8Array {
  const sels = a.pcrSelections.map((s) => {
    const bitmap = new Uint8Array(3);
    for (const p of s.pcrs) bitmap[p >> 3]! |= 1 << (p & 7);
    return concatBytes(u16(s.hashAlg), new Uint8Array([3]), bitmap);
  });
  return concatBytes(
    u32(TPM_GENERATED_VALUE),
    u16(TPM_ST_ATTEST_QUOTE),
    tpm2b(a.qualifiedSigner),
    tpm2b(a.extraData),
    u64(a.clock.clock),
    u32(a.clock.resetCount),
    u32(a.clock.restartCount),
    new Uint8Array([a.clock.safe ? 1 : 0]),
    u64(a.firmwareVersion),
    u32(sels.length),
    ...sels,
    tpm2b(a.pcrDigest),
  );
}

/**
 * The digest TPM2_Quote computes over the selected PCRs (Part 3 §18.4): the bank's hash over the
 * selected values concatenated in selection order. `pcrs[i]` is PCR i of the single selected bank.
 * Throws `MalformedInput` when a selected PCR is missing or the bank is not SHA-2.
 */
export function computePcrDigest(selections: PcrSelection[], pcrs: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let alg: HashAlgorithm | undefined;
  for (const s of selections) {
    const a = BANK_HASH[s.hashAlg];
    if (!a) throw new MalformedInput(`PCR bank 0x${s.hashAlg.toString(16)} is not supported`, { where: 'tpm.attest.pcrSelect' });
    if (alg && alg !== a) throw new MalformedInput('quotes over several PCR banks are not supported', { where: 'tpm.attest.pcrSelect' });
    alg = a;
    for (const i of s.pcrs) {
      const v = pcrs[i];
      if (!v) throw new MalformedInput(`PCR ${i} is selected by the quote but missing from the evidence`, { where: `tpm.pcrs[${i}]` });
      parts.push(v);
    }
  }
  return digest(alg ?? 'sha256', concatBytes(...parts));
}
