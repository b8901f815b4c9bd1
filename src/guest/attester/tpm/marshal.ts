/**
 * TPM 2.0 wire marshalling (TCG TPM 2.0 Library Part 2 "Structures", Part 3 "Commands"):
 * big-endian integers, TPM2B size-prefixed buffers, command/response headers and the
 * password authorization session. Only what the attesters need.
 * @module
 */
import { ByteReader, MalformedInput, Unavailable, concatBytes } from '../../../core/index.js';

/** Structure tags (Part 2 §6.9). */
export const TPM_ST_NO_SESSIONS = 0x8001;
export const TPM_ST_SESSIONS = 0x8002;
export const TPM_ST_ATTEST_QUOTE = 0x8018;
/** TPM_GENERATED_VALUE: first 4 bytes of every TPMS_ATTEST (Part 2 §6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** Command codes (Part 2 §6.5.2). */
export const TPM_CC = {
  NV_UndefineSpace: 0x122,
  EvictControl: 0x120,
  NV_DefineSpace: 0x12a,
  CreatePrimary: 0x131,
  NV_Write: 0x137,
  Startup: 0x144,
  NV_Read: 0x14e,
  Quote: 0x158,
  FlushContext: 0x165,
  NV_ReadPublic: 0x169,
  ReadPublic: 0x173,
  PCR_Read: 0x17e,
  PCR_Extend: 0x182,
} as const;

/** Algorithm ids (Part 2 §6.3 / TCG Algorithm Registry). */
export const TPM_ALG = { RSA: 0x0001, SHA256: 0x000b, SHA384: 0x000c, NULL: 0x0010, RSASSA: 0x0014 } as const;

/** Permanent handles (Part 2 §7.4). */
export const TPM_RH_OWNER = 0x40000001;
export const TPM_RS_PW = 0x40000009;

/** Response codes we act on (Part 2 §6.6). */
export const TPM_RC_SUCCESS = 0;
export const TPM_RC_INITIALIZE = 0x100;

/** Growable big-endian writer. */
export class TpmWriter {
  private parts: Uint8Array[] = [];
  u8(v: number): this {
    this.parts.push(Uint8Array.of(v & 0xff));
    return this;
  }
  u16(v: number): this {
    this.parts.push(Uint8Array.of((v >>> 8) & 0xff, v & 0xff));
    return this;
  }
  u32(v: number): this {
    this.parts.push(Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
    return this;
  }
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  /** TPM2B: u16 size then the bytes. */
  tpm2b(b: Uint8Array): this {
    if (b.length > 0xffff) throw new TypeError('TPM2B too large');
    return this.u16(b.length).bytes(b);
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

/** Read a TPM2B buffer. */
export function readTpm2b(r: ByteReader): Uint8Array {
  return r.bytesN(r.u16be());
}

/** The password session with empty auth: the authorization area of one handle (Part 1 §19.8.4). */
export function passwordAuthArea(sessions = 1): Uint8Array {
  const one = new TpmWriter().u32(TPM_RS_PW).tpm2b(new Uint8Array(0)).u8(0).tpm2b(new Uint8Array(0)).finish();
  const all = concatBytes(...Array.from({ length: sessions }, () => one));
  return new TpmWriter().u32(all.length).bytes(all).finish();
}

/** A full command: header, handles, optional auth area, parameters. */
export function buildCommand(cc: number, handles: number[], params: Uint8Array, authSessions = 0): Uint8Array {
  const w = new TpmWriter();
  for (const h of handles) w.u32(h);
  const body = concatBytes(w.finish(), authSessions > 0 ? passwordAuthArea(authSessions) : new Uint8Array(0), params);
  return new TpmWriter()
    .u16(authSessions > 0 ? TPM_ST_SESSIONS : TPM_ST_NO_SESSIONS)
    .u32(10 + body.length)
    .u32(cc)
    .bytes(body)
    .finish();
}

/** A TPM error response (non-zero response code). */
export class TpmError extends Unavailable {
  readonly rc: number;
  constructor(cc: number, rc: number) {
    super(`TPM command 0x${cc.toString(16)} failed with response code 0x${rc.toString(16)}`);
    this.rc = rc;
  }
}

/**
 * Parse a response header; returns a reader positioned after the handle area (`handles` u32s are
 * returned) and, for session responses, bounded to the parameter area.
 */
export function parseResponse(cc: number, resp: Uint8Array, handleCount = 0): { handles: number[]; params: ByteReader } {
  const r = new ByteReader(resp, 'TPM response');
  const tag = r.u16be();
  const size = r.u32be();
  const rc = r.u32be();
  if (size !== resp.length) throw new MalformedInput(`TPM response size ${size} does not match ${resp.length} bytes read`, { where: 'TPM response' });
  if (rc !== TPM_RC_SUCCESS) throw new TpmError(cc, rc);
  const handles: number[] = [];
  for (let i = 0; i < handleCount; i++) handles.push(r.u32be());
  if (tag === TPM_ST_SESSIONS) {
    const paramSize = r.u32be();
    return { handles, params: new ByteReader(r.bytesN(paramSize), 'TPM response parameters') };
  }
  if (tag !== TPM_ST_NO_SESSIONS) throw new MalformedInput(`TPM response tag 0x${tag.toString(16)}`, { where: 'TPM response' });
  return { handles, params: new ByteReader(r.bytesN(r.remaining), 'TPM response parameters') };
}

/** TPML_PCR_SELECTION with one bank selecting `pcrs` (sizeofSelect = 3, PCRs 0–23). */
export function pcrSelection(hashAlg: number, pcrs: readonly number[]): Uint8Array {
  const sel = new Uint8Array(3);
  for (const p of pcrs) {
    if (p < 0 || p > 23) throw new TypeError(`PCR ${p} out of range`);
    sel[p >> 3]! |= 1 << (p & 7);
  }
  return new TpmWriter().u32(1).u16(hashAlg).u8(3).bytes(sel).finish();
}

/** Parse a TPML_PCR_SELECTION into bank → selected PCR indexes. */
export function readPcrSelection(r: ByteReader): Array<{ hashAlg: number; pcrs: number[] }> {
  const count = r.u32be();
  if (count > 16) throw new MalformedInput('too many PCR banks', { where: 'TPML_PCR_SELECTION' });
  const out: Array<{ hashAlg: number; pcrs: number[] }> = [];
  for (let i = 0; i < count; i++) {
    const hashAlg = r.u16be();
    const sel = r.bytesN(r.u8());
    const pcrs: number[] = [];
    sel.forEach((b, byte) => {
      for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) pcrs.push(byte * 8 + bit);
    });
    out.push({ hashAlg, pcrs });
  }
  return out;
}
