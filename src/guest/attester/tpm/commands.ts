/**
 * The TPM 2.0 commands the attesters use (TCG TPM 2.0 Library Part 3): Startup, PCR_Read,
 * PCR_Extend, CreatePrimary (RSA-2048 restricted signing AK), EvictControl, ReadPublic, Quote,
 * NV_ReadPublic / NV_Read / NV_Write / NV_DefineSpace. Password sessions with empty auth.
 * @module
 */
import { createPublicKey } from 'node:crypto';
import { ByteReader, MalformedInput, concatBytes, toBase64Url } from '../../../core/index.js';
import {
  TPM_ALG,
  TPM_CC,
  TPM_RC_INITIALIZE,
  TPM_RH_OWNER,
  TpmError,
  TpmWriter,
  buildCommand,
  parseResponse,
  pcrSelection,
  readPcrSelection,
  readTpm2b,
} from './marshal.js';
import type { TpmTransport } from './transport.js';

/** Upstream default persistent handle of the AK (`AA_TPM_AK_HANDLE`). */
export const DEFAULT_AK_HANDLE = 0x81010002;
const EMPTY = new Uint8Array(0);

// Warning codes after which the same command should simply be sent again (Part 2 §6.6.3):
// TPM_RC_YIELDED, TPM_RC_TESTING, TPM_RC_RETRY.
const RETRY_RCS = new Set([0x908, 0x90a, 0x922]);

async function call(t: TpmTransport, cc: number, handles: number[], params: Uint8Array, sessions: number, outHandles = 0) {
  const cmd = buildCommand(cc, handles, params, sessions);
  for (let attempt = 1; ; attempt++) {
    try {
      return parseResponse(cc, await t.transmit(cmd), outHandles);
    } catch (err) {
      if (!(err instanceof TpmError && RETRY_RCS.has(err.rc) && attempt < 10)) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt));
    }
  }
}

/** TPM2_Startup(CLEAR); "already initialized" is fine. */
export async function startup(t: TpmTransport): Promise<void> {
  try {
    await call(t, TPM_CC.Startup, [], new TpmWriter().u16(0).finish(), 0);
  } catch (err) {
    if (!(err instanceof TpmError && err.rc === TPM_RC_INITIALIZE)) throw err;
  }
}

/** Read SHA-256 PCRs (default 0–23), looping because a TPM returns at most 8 digests per call. */
export async function pcrRead(t: TpmTransport, pcrs: readonly number[] = Array.from({ length: 24 }, (_, i) => i)): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  for (let guard = 0; guard < 24 && out.size < pcrs.length; guard++) {
    const want = pcrs.filter((p) => !out.has(p));
    const { params } = await call(t, TPM_CC.PCR_Read, [], pcrSelection(TPM_ALG.SHA256, want), 0);
    params.u32be(); // pcrUpdateCounter
    const got = readPcrSelection(params).find((b) => b.hashAlg === TPM_ALG.SHA256)?.pcrs ?? [];
    const n = params.u32be();
    if (n !== got.length) throw new MalformedInput('PCR_Read digest count does not match the selection', { where: 'PCR_Read' });
    if (n === 0) break;
    for (const p of got) out.set(p, new Uint8Array(readTpm2b(params)));
  }
  if (out.size < pcrs.length) throw new MalformedInput('TPM did not return every requested PCR', { where: 'PCR_Read' });
  return out;
}

/** TPM2_PCR_Extend of the SHA-256 bank with a 32-byte digest. */
export async function pcrExtend(t: TpmTransport, pcr: number, digest32: Uint8Array): Promise<void> {
  if (digest32.length !== 32) throw new TypeError('PCR_Extend digest must be 32 bytes for the SHA-256 bank');
  const params = new TpmWriter().u32(1).u16(TPM_ALG.SHA256).bytes(digest32).finish();
  await call(t, TPM_CC.PCR_Extend, [pcr], params, 1);
}

/** TPMT_PUBLIC template of an RSA-2048 restricted signing key, RSASSA-SHA256 (an attestation key). */
export function akTemplate(): Uint8Array {
  // fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign (Part 2 §8.3)
  const attrs = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 16) | (1 << 18);
  return new TpmWriter()
    .u16(TPM_ALG.RSA)
    .u16(TPM_ALG.SHA256)
    .u32(attrs)
    .tpm2b(EMPTY)
    .u16(TPM_ALG.NULL) // symmetric
    .u16(TPM_ALG.RSASSA)
    .u16(TPM_ALG.SHA256)
    .u16(2048)
    .u32(0)
    .tpm2b(EMPTY)
    .finish();
}

/** An RSA public area reduced to what evidence needs. */
export interface RsaPublic {
  modulus: Uint8Array;
  exponent: number;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
}

/** Parse a TPMT_PUBLIC of an RSA key. */
export function parseRsaPublic(area: Uint8Array): RsaPublic {
  const r = new ByteReader(area, 'TPMT_PUBLIC');
  if (r.u16be() !== TPM_ALG.RSA) throw new MalformedInput('AK is not an RSA key', { where: 'TPMT_PUBLIC.type' });
  r.u16be(); // nameAlg
  r.u32be(); // objectAttributes
  readTpm2b(r); // authPolicy
  if (r.u16be() !== TPM_ALG.NULL) r.skip(4); // symmetric keyBits + mode
  if (r.u16be() !== TPM_ALG.NULL) r.skip(2); // scheme hashAlg
  r.u16be(); // keyBits
  const exponent = r.u32be() || 65537;
  const modulus = new Uint8Array(readTpm2b(r));
  const e = new Uint8Array(4);
  new DataView(e.buffer).setUint32(0, exponent);
  const eTrim = e.subarray(e.findIndex((b) => b !== 0));
  const key = createPublicKey({ key: { kty: 'RSA', n: toBase64Url(modulus), e: toBase64Url(eTrim) }, format: 'jwk' });
  return { modulus, exponent, spki: new Uint8Array(key.export({ type: 'spki', format: 'der' })) };
}

/** TPM2_ReadPublic: the public area of a loaded or persistent object, or undefined when the handle is empty. */
export async function readPublic(t: TpmTransport, handle: number): Promise<Uint8Array | undefined> {
  try {
    const { params } = await call(t, TPM_CC.ReadPublic, [handle], EMPTY, 0);
    return new Uint8Array(readTpm2b(params));
  } catch (err) {
    if (err instanceof TpmError) return undefined;
    throw err;
  }
}

/** TPM2_CreatePrimary in the owner hierarchy with `template`; returns the transient handle and public area. */
export async function createPrimary(t: TpmTransport, template: Uint8Array): Promise<{ handle: number; publicArea: Uint8Array }> {
  const sensitive = new TpmWriter().tpm2b(new TpmWriter().tpm2b(EMPTY).tpm2b(EMPTY).finish()).finish();
  const params = concatBytes(sensitive, new TpmWriter().tpm2b(template).tpm2b(EMPTY).u32(0).finish());
  const { handles, params: p } = await call(t, TPM_CC.CreatePrimary, [TPM_RH_OWNER], params, 1, 1);
  return { handle: handles[0]!, publicArea: new Uint8Array(readTpm2b(p)) };
}

/** TPM2_EvictControl: persist `transient` at `persistent` (owner auth). */
export async function evictControl(t: TpmTransport, transient: number, persistent: number): Promise<void> {
  await call(t, TPM_CC.EvictControl, [TPM_RH_OWNER, transient], new TpmWriter().u32(persistent).finish(), 1);
}

/** TPM2_FlushContext of a transient object. */
export async function flushContext(t: TpmTransport, handle: number): Promise<void> {
  await call(t, TPM_CC.FlushContext, [], new TpmWriter().u32(handle).finish(), 0);
}

/** The AK at `handle`, created (CreatePrimary + EvictControl) when the handle is empty. */
export async function ensureAk(t: TpmTransport, handle = DEFAULT_AK_HANDLE): Promise<RsaPublic> {
  const existing = await readPublic(t, handle);
  if (existing) return parseRsaPublic(existing);
  const created = await createPrimary(t, akTemplate());
  await evictControl(t, created.handle, handle);
  await flushContext(t, created.handle);
  return parseRsaPublic(created.publicArea);
}

/** TPM2_Quote over SHA-256 `pcrs` with `qualifyingData`; returns marshalled TPMS_ATTEST and TPMT_SIGNATURE. */
export async function quote(t: TpmTransport, akHandle: number, qualifyingData: Uint8Array, pcrs: readonly number[]): Promise<{ message: Uint8Array; signature: Uint8Array }> {
  const params = concatBytes(
    new TpmWriter().tpm2b(qualifyingData).u16(TPM_ALG.RSASSA).u16(TPM_ALG.SHA256).finish(),
    pcrSelection(TPM_ALG.SHA256, pcrs),
  );
  const { params: p } = await call(t, TPM_CC.Quote, [akHandle], params, 1);
  const message = new Uint8Array(readTpm2b(p));
  const signature = new Uint8Array(p.bytesN(p.remaining));
  return { message, signature };
}

/** TPM2_NV_ReadPublic: the data size of an NV index, or undefined when it is not defined. */
export async function nvSize(t: TpmTransport, index: number): Promise<number | undefined> {
  try {
    const { params } = await call(t, TPM_CC.NV_ReadPublic, [index], EMPTY, 0);
    const r = new ByteReader(readTpm2b(params), 'TPMS_NV_PUBLIC');
    r.skip(4 + 2 + 4); // nvIndex, nameAlg, attributes
    readTpm2b(r); // authPolicy
    return r.u16be();
  } catch (err) {
    if (err instanceof TpmError) return undefined;
    throw err;
  }
}

/**
 * Run an NV command authorized by the index itself (TPMA_NV_AUTHREAD/AUTHWRITE) and, when the TPM
 * refuses that authorization, by the owner hierarchy (TPMA_NV_OWNERREAD/OWNERWRITE, as Azure's
 * vTPM indexes are read with `-C o`). Both with empty auth values.
 */
async function nvCall(t: TpmTransport, cc: number, index: number, params: Uint8Array) {
  try {
    return await call(t, cc, [index, index], params, 1);
  } catch (err) {
    if (!(err instanceof TpmError)) throw err;
    return call(t, cc, [TPM_RH_OWNER, index], params, 1);
  }
}

/** TPM2_NV_Read of the whole index, in chunks of 1024 bytes. */
export async function nvRead(t: TpmTransport, index: number): Promise<Uint8Array> {
  const size = await nvSize(t, index);
  if (size === undefined) throw new MalformedInput(`NV index 0x${index.toString(16)} is not defined`, { where: 'NV_Read' });
  const parts: Uint8Array[] = [];
  for (let off = 0; off < size; ) {
    const n = Math.min(1024, size - off);
    const { params } = await nvCall(t, TPM_CC.NV_Read, index, new TpmWriter().u16(n).u16(off).finish());
    const chunk = readTpm2b(params);
    if (chunk.length === 0) break;
    parts.push(new Uint8Array(chunk));
    off += chunk.length;
  }
  return concatBytes(...parts);
}

/** TPM2_NV_Write at `offset`, in chunks of 1024 bytes. */
export async function nvWrite(t: TpmTransport, index: number, data: Uint8Array, offset = 0): Promise<void> {
  for (let off = 0; off < data.length; off += 1024) {
    const chunk = data.subarray(off, off + 1024);
    await nvCall(t, TPM_CC.NV_Write, index, new TpmWriter().tpm2b(chunk).u16(offset + off).finish());
  }
}

/**
 * TPM2_NV_DefineSpace (owner auth, empty index auth). Used to provision tests: `owner` makes the
 * index readable/writable only with owner authorization, as Azure's report indexes.
 */
export async function nvDefine(t: TpmTransport, index: number, size: number, access: 'auth' | 'owner' = 'auth'): Promise<void> {
  // AUTHWRITE (bit 2) | AUTHREAD (bit 18), or OWNERWRITE (bit 1) | OWNERREAD (bit 17); NO_DA (bit 25)
  const attrs = (access === 'auth' ? (1 << 2) | (1 << 18) : (1 << 1) | (1 << 17)) | (1 << 25);
  const pub = new TpmWriter().u32(index).u16(TPM_ALG.SHA256).u32(attrs).tpm2b(EMPTY).u16(size).finish();
  await call(t, TPM_CC.NV_DefineSpace, [TPM_RH_OWNER], new TpmWriter().tpm2b(EMPTY).tpm2b(pub).finish(), 1);
}
