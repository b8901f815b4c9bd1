/**
 * Certificate-chain verification with a cache: signatures are checked once per (issuer, subject)
 * pair of fingerprints; validity periods are checked on every call against the caller's `now`,
 * so "verify as of a date" works on cached chains too.
 * @module
 */
import { isValidAt, type Certificate } from './x509.js';

/** Why a chain failed: the link index (0 = leaf) and what was wrong with it. */
export type ChainFailure =
  | { ok: false; index: number; reason: 'signature' | 'issuer_name' | 'not_yet_valid' | 'expired'; subject: string | undefined }
  | { ok: true };

const LINK_LIMIT = 8192;
const verifiedLinks = new Set<string>();

/** True when `issuer` signed `cert` (cached by the pair of fingerprints). */
export function isSignedBy(cert: Certificate, issuer: Certificate): boolean {
  const key = `${issuer.fingerprint}>${cert.fingerprint}`;
  if (verifiedLinks.has(key)) return true;
  let ok: boolean;
  try {
    ok = cert.x509.verify(issuer.publicKey);
  } catch {
    ok = false;
  }
  if (ok) {
    if (verifiedLinks.size >= LINK_LIMIT) verifiedLinks.delete(verifiedLinks.values().next().value!);
    verifiedLinks.add(key);
  }
  return ok;
}

/**
 * Verify `chain` (leaf first, trust anchor last; the anchor must be self-signed) as of `now`:
 * each certificate is signed by the next, names the next as its issuer, and every certificate is
 * within its validity period. Returns the first failure instead of throwing, so each verifier
 * can name its own check.
 */
export function verifyCertChain(chain: readonly Certificate[], now: Date): ChainFailure {
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1] ?? cert;
    if (cert.x509.issuer !== issuer.x509.subject) return { ok: false, index: i, reason: 'issuer_name', subject: cert.subjectCN };
    if (!isSignedBy(cert, issuer)) return { ok: false, index: i, reason: 'signature', subject: cert.subjectCN };
  }
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i]!;
    if (!isValidAt(cert, now)) {
      return { ok: false, index: i, reason: now < cert.notBefore ? 'not_yet_valid' : 'expired', subject: cert.subjectCN };
    }
  }
  return { ok: true };
}
