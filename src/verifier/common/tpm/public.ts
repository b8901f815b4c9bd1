/**
 * TPMT_PUBLIC (TPM 2.0 Library Part 2 §12.2.4) for attestation keys: parse the RSA or ECC public
 * area a TPM returns (`TPM2_ReadPublic`, `tpm2_readpublic -f tpmt`) and turn it into a KeyObject.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ByteReader, MalformedInput, toBase64Url } from '../../../core/index.js';
import { TPM_ALG, readTpm2b } from './attest.js';

export type TpmPublic =
  | { type: 'rsa'; nameAlg: number; objectAttributes: number; keyBits: number; exponent: number; modulus: Uint8Array }
  | { type: 'ecc'; nameAlg: number; objectAttributes: number; curveId: number; x: Uint8Array; y: Uint8Array };

/** TPM_ECC_CURVE (Part 2 §6.4) → JWK curve name and coordinate size. */
const CURVES: Record<number, { crv: string; size: number }> = { 0x0003: { crv: 'P-256', size: 32 }, 0x0004: { crv: 'P-384', size: 48 }, 0x0005: { crv: 'P-521', size: 66 } };

/** A TPMT_*_SCHEME or TPMT_SYM_DEF_OBJECT: an algorithm, then details unless it is TPM_ALG_NULL. */
function skipScheme(r: ByteReader, detailWords: number): void {
  if (r.u16be() !== TPM_ALG.NULL) r.skip(2 * detailWords);
}

/** Parse a marshalled TPMT_PUBLIC (optionally wrapped in a TPM2B_PUBLIC when `sized`). */
export function parseTpmtPublic(bytes: Uint8Array, sized = false): TpmPublic {
  const r = new ByteReader(bytes, 'TPMT_PUBLIC');
  if (sized) {
    const size = r.u16be();
    if (size !== r.remaining) throw new MalformedInput('TPM2B_PUBLIC: size does not match', { where: 'tpm.public.size' });
  }
  const type = r.u16be();
  const nameAlg = r.u16be();
  const objectAttributes = r.u32be();
  readTpm2b(r); // authPolicy
  let out: TpmPublic;
  if (type === TPM_ALG.RSA) {
    skipScheme(r, 2); // symmetric: keyBits + mode
    skipScheme(r, 1); // scheme: hashAlg
    const keyBits = r.u16be();
    const exponent = r.u32be() || 65537; // Part 2 §12.2.3.5: zero means the default exponent
    const modulus = readTpm2b(r);
    if (modulus.length * 8 !== keyBits) throw new MalformedInput('TPMT_PUBLIC: modulus size does not match keyBits', { where: 'tpm.public.unique' });
    out = { type: 'rsa', nameAlg, objectAttributes, keyBits, exponent, modulus };
  } else if (type === TPM_ALG.ECC) {
    skipScheme(r, 2);
    skipScheme(r, 1);
    const curveId = r.u16be();
    skipScheme(r, 1); // kdf
    const x = readTpm2b(r);
    const y = readTpm2b(r);
    out = { type: 'ecc', nameAlg, objectAttributes, curveId, x, y };
  } else {
    throw new MalformedInput(`TPMT_PUBLIC: key type 0x${type.toString(16)} is not supported`, { where: 'tpm.public.type' });
  }
  if (r.remaining !== 0) throw new MalformedInput(`TPMT_PUBLIC: ${r.remaining} trailing bytes`, { where: 'tpm.public' });
  return out;
}

function leftPad(v: Uint8Array, n: number): Uint8Array {
  if (v.length > n) throw new MalformedInput('TPMT_PUBLIC: coordinate too long', { where: 'tpm.public.unique' });
  const out = new Uint8Array(n);
  out.set(v, n - v.length);
  return out;
}

/** The public key of a TPMT_PUBLIC as a KeyObject (imported from a JWK; never exported as one). */
export function tpmPublicKey(pub: TpmPublic): KeyObject {
  try {
    if (pub.type === 'rsa') {
      const e = new Uint8Array(4);
      new DataView(e.buffer).setUint32(0, pub.exponent, false);
      let i = 0;
      while (i < 3 && e[i] === 0) i++;
      return createPublicKey({ key: { kty: 'RSA', n: toBase64Url(pub.modulus), e: toBase64Url(e.subarray(i)) }, format: 'jwk' });
    }
    const c = CURVES[pub.curveId];
    if (!c) throw new MalformedInput(`TPMT_PUBLIC: curve 0x${pub.curveId.toString(16)} is not supported`, { where: 'tpm.public.curveID' });
    return createPublicKey({ key: { kty: 'EC', crv: c.crv, x: toBase64Url(leftPad(pub.x, c.size)), y: toBase64Url(leftPad(pub.y, c.size)) }, format: 'jwk' });
  } catch (cause) {
    if (cause instanceof MalformedInput) throw cause;
    throw new MalformedInput('TPMT_PUBLIC: not a valid public key', { where: 'tpm.public.unique', cause });
  }
}
