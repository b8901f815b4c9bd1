/**
 * TPMT_SIGNATURE (TPM 2.0 Library Part 2 §11.3.4) and verification of a quote signature with a
 * public key: RSASSA-PKCS1-v1_5, RSA-PSS or ECDSA over the TPMS_ATTEST bytes.
 * @module
 */
import { verify as cryptoVerify, constants, type KeyObject } from 'node:crypto';
import { ByteReader, MalformedInput, concatBytes, type HashAlgorithm } from '../../../core/index.js';
import { TPM_ALG, readTpm2b } from './attest.js';

export type TpmSignature =
  | { sigAlg: 'rsassa' | 'rsapss'; hash: HashAlgorithm; signature: Uint8Array }
  | { sigAlg: 'ecdsa'; hash: HashAlgorithm; r: Uint8Array; s: Uint8Array };

const HASHES: Record<number, HashAlgorithm> = { [TPM_ALG.SHA256]: 'sha256', [TPM_ALG.SHA384]: 'sha384', [TPM_ALG.SHA512]: 'sha512' };

/** Parse a marshalled TPMT_SIGNATURE; throws `MalformedInput` for other schemes or bad lengths. */
export function parseTpmtSignature(bytes: Uint8Array): TpmSignature {
  const r = new ByteReader(bytes, 'TPMT_SIGNATURE');
  const alg = r.u16be();
  const hashId = r.u16be();
  const hash = HASHES[hashId];
  if (!hash) throw new MalformedInput(`TPMT_SIGNATURE: hash 0x${hashId.toString(16)} is not supported`, { where: 'tpm.signature.hash' });
  let sig: TpmSignature;
  if (alg === TPM_ALG.RSASSA || alg === TPM_ALG.RSAPSS) {
    sig = { sigAlg: alg === TPM_ALG.RSASSA ? 'rsassa' : 'rsapss', hash, signature: readTpm2b(r) };
  } else if (alg === TPM_ALG.ECDSA) {
    sig = { sigAlg: 'ecdsa', hash, r: readTpm2b(r), s: readTpm2b(r) };
  } else {
    throw new MalformedInput(`TPMT_SIGNATURE: scheme 0x${alg.toString(16)} is not supported`, { where: 'tpm.signature.sigAlg' });
  }
  if (r.remaining !== 0) throw new MalformedInput(`TPMT_SIGNATURE: ${r.remaining} trailing bytes`, { where: 'tpm.signature' });
  return sig;
}

/** Encode an RSASSA TPMT_SIGNATURE (attesters and tests). */
export function encodeRsassaSignature(signature: Uint8Array, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): Uint8Array {
  const hashId = hash === 'sha256' ? TPM_ALG.SHA256 : hash === 'sha384' ? TPM_ALG.SHA384 : TPM_ALG.SHA512;
  const len = signature.length;
  return concatBytes(new Uint8Array([0, TPM_ALG.RSASSA, hashId >> 8, hashId & 0xff, len >> 8, len & 0xff]), signature);
}

/** Size of a field element of the EC key, for the IEEE P1363 form of (r, s). */
function ecFieldBytes(key: KeyObject): number {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 48 : curve === 'secp521r1' ? 66 : 32;
}

/** True when `sig` is a valid signature of `message` by `key`. Never throws for a wrong signature. */
export function verifyTpmSignature(message: Uint8Array, sig: TpmSignature, key: KeyObject): boolean {
  try {
    if (sig.sigAlg === 'ecdsa') {
      if (key.asymmetricKeyType !== 'ec') return false;
      const n = ecFieldBytes(key);
      if (sig.r.length > n || sig.s.length > n) return false;
      const p1363 = concatBytes(leftPad(sig.r, n), leftPad(sig.s, n));
      return cryptoVerify(sig.hash, message, { key, dsaEncoding: 'ieee-p1363' }, p1363);
    }
    if (key.asymmetricKeyType !== 'rsa') return false;
    if (sig.sigAlg === 'rsapss') {
      return cryptoVerify(sig.hash, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, sig.signature);
    }
    return cryptoVerify(sig.hash, message, { key, padding: constants.RSA_PKCS1_PADDING }, sig.signature);
  } catch {
    return false;
  }
}

function leftPad(v: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(v, n - v.length);
  return out;
}
