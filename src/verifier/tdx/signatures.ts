/**
 * The three ECDSA checks of a DCAP quote: the QE report is signed by the PCK key, the QE report
 * data binds the attestation key (SHA-256(attestation key ‖ QE auth data) ‖ 32 zero bytes), and the
 * quote (header ‖ body) is signed by the attestation key. Signatures are raw r‖s (P-256, SHA-256).
 * Spec: Intel DCAP Quoting Library API §A.3.8 (ECDSA 256-bit Quote Signature Data Structure).
 * @module
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { bytesEqual, concatBytes, isAllZero, sha256, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import type { BoundedCache } from './cache.js';
import type { TdQuote } from './quote.js';

/** SubjectPublicKeyInfo prefix for an uncompressed P-256 point (RFC 5480): SEQ{ecPublicKey, prime256v1}, BIT STRING 04‖x‖y. */
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
  0x42, 0x00, 0x04,
]);

/** A P-256 public key from raw x‖y (64 bytes); undefined when the point is not on the curve. */
export function p256KeyFromRaw(xy: Uint8Array): KeyObject | undefined {
  try {
    return createPublicKey({ key: Buffer.from(concatBytes(P256_SPKI_PREFIX, xy)), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** ECDSA-P256-SHA256 over `data` with a raw r‖s signature; false on any error. */
export function verifyP256(key: KeyObject, data: Uint8Array, rs: Uint8Array): boolean {
  try {
    return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, rs);
  } catch {
    return false;
  }
}

/** Check the QE report signature (`tdx.qe_report.signature`) with the PCK leaf key. */
export function checkQeReportSignature(quote: TdQuote, pckKey: KeyObject, trace: CheckTrace): void {
  trace.require(verifyP256(pckKey, quote.qeReport.raw, quote.qeReportSignature), 'tdx.qe_report.signature', 'QE report is not signed by the PCK key');
}

/** Check that the QE report data commits to the attestation key (`tdx.qe_report.binding`). */
export function checkQeBinding(quote: TdQuote, trace: CheckTrace): void {
  const expected = sha256(concatBytes(quote.attestationKey, quote.qeAuthData));
  const rd = quote.qeReport.reportData;
  const ok = bytesEqual(rd.subarray(0, 32), expected) && isAllZero(rd.subarray(32));
  trace.require(ok, 'tdx.qe_report.binding', 'QE report data is not SHA-256(attestation key ‖ QE authentication data)', {
    expected: toHex(expected),
    actual: toHex(rd.subarray(0, 32)),
  });
}

/**
 * Check the quote signature by the attestation key (`tdx.quote.signature`). `keys` caches the key
 * objects by their raw bytes (building one costs about as much as a verification).
 */
export function checkQuoteSignature(quote: TdQuote, trace: CheckTrace, keys?: BoundedCache<KeyObject>): void {
  const id = keys ? toHex(quote.attestationKey) : '';
  let key = keys?.get(id);
  if (!key) {
    key = p256KeyFromRaw(quote.attestationKey);
    if (key) keys?.set(id, key);
  }
  if (!key) trace.fail('tdx.quote.signature', 'attestation key is not a P-256 point');
  trace.require(verifyP256(key, quote.signedBytes, quote.signature), 'tdx.quote.signature', 'quote is not signed by the attestation key');
}
