/**
 * Intel certificate chains: PCK (leaf → Platform/Processor CA → Root CA) and TCB signing
 * (leaf → Root CA), each ending at the embedded Intel SGX Root CA, checked as of `now`, with the
 * PCK and Root CA CRLs when they are provided.
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { MalformedInput } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import { crlSignedBy, parseCrl, serialKey, type Crl } from './crl.js';
import { INTEL_SGX_ROOT_CA_PEM } from './roots.js';

let rootCache: X509Certificate | undefined;

/** The embedded Intel SGX Root CA (parsed once). */
export function intelRootCa(): X509Certificate {
  rootCache ??= new X509Certificate(INTEL_SGX_ROOT_CA_PEM.trim());
  return rootCache;
}

/** Parse DER certificates; throws `MalformedInput` naming `what`. */
export function toX509(ders: Uint8Array[], what: string): X509Certificate[] {
  return ders.map((d, i) => {
    try {
      return new X509Certificate(d);
    } catch (cause) {
      throw new MalformedInput(`${what}: certificate ${i} does not parse`, { where: `${what}[${i}]`, cause });
    }
  });
}

/** Common name of a certificate subject (`CN=...` line). */
export function commonName(cert: X509Certificate): string {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
  return m ? m[1]!.trim() : '';
}

export interface ChainCrls {
  /** CRL of the intermediate CA (revokes leaves). */
  leafCrl?: Uint8Array;
  /** CRL of the Root CA (revokes intermediates). */
  rootCrl?: Uint8Array;
}

export interface ChainResult {
  /** Parsed CRLs that were checked (for supplemental claims). */
  leafCrl?: Crl;
  rootCrl?: Crl;
  /** notBefore / notAfter of every certificate in the chain. */
  validity: { notBefore: Date; notAfter: Date }[];
}

function within(cert: X509Certificate, now: Date): boolean {
  return now >= new Date(cert.validFrom) && now <= new Date(cert.validTo);
}

/**
 * Verify `certs` (leaf first) up to the embedded root as of `now`. The chain's last certificate must
 * be the embedded root itself (a chain that ends elsewhere fails); each link must be issued and
 * signed by the next; every certificate must be within its validity window. `signaturesVerified`
 * skips the signature checks for a chain (same bytes) that passed them before. `root` is the trust
 * anchor (the embedded Intel root unless a test supplies its own hierarchy).
 * Records `<check>` (signatures and issuance), `<check>.validity` and `<check>.crl` in `trace`.
 */
export function verifyIntelChain(
  certs: X509Certificate[],
  now: Date,
  trace: CheckTrace,
  check: string,
  crls: ChainCrls = {},
  signaturesVerified = false,
  root: X509Certificate = intelRootCa(),
): ChainResult {
  const last = certs[certs.length - 1];
  if (certs.length < 2 || !last || last.fingerprint256 !== root.fingerprint256) {
    trace.fail(check, `the chain does not end at the trust anchor ${commonName(root)}`, { actual: last ? commonName(last) : 'empty chain' });
  }
  for (let i = 0; !signaturesVerified && i + 1 < certs.length; i++) {
    const child = certs[i]!;
    const parent = i + 1 === certs.length - 1 ? root : certs[i + 1]!;
    let ok = false;
    try {
      ok = child.checkIssued(parent) && child.verify(parent.publicKey);
    } catch {
      ok = false;
    }
    if (!ok) trace.fail(check, `${commonName(child) || `certificate ${i}`} is not signed by ${commonName(parent)}`);
  }
  trace.pass(check);
  for (const c of certs) {
    if (!within(c, now)) {
      trace.fail(`${check}.validity`, `${commonName(c)} is not valid at ${now.toISOString()}`, { expected: `${c.validFrom} … ${c.validTo}`, actual: now.toISOString() });
    }
  }
  trace.pass(`${check}.validity`);
  const result: ChainResult = { validity: certs.map((c) => ({ notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo) })) };
  return { ...result, ...checkChainCrls(certs, crls, now, trace, check, root) };
}

/**
 * Check a verified chain against CRLs (`<check>.crl`): the Root CA CRL must not revoke the
 * intermediate, the intermediate's CRL must not revoke the leaf; each CRL must be signed by its
 * issuer and current at `now`.
 */
export function checkChainCrls(
  certs: X509Certificate[],
  crls: ChainCrls,
  now: Date,
  trace: CheckTrace,
  check: string,
  root: X509Certificate = intelRootCa(),
): Pick<ChainResult, 'leafCrl' | 'rootCrl'> {
  const result: Pick<ChainResult, 'leafCrl' | 'rootCrl'> = {};
  if (crls.rootCrl) {
    result.rootCrl = checkCrl(crls.rootCrl, root, certs.slice(0, -1).slice(-1), now, trace, `${check}.crl`);
  }
  if (crls.leafCrl && certs.length >= 3) {
    result.leafCrl = checkCrl(crls.leafCrl, certs[certs.length - 2]!, [certs[0]!], now, trace, `${check}.crl`);
  }
  return result;
}

function checkCrl(bytes: Uint8Array, issuer: X509Certificate, subjects: X509Certificate[], now: Date, trace: CheckTrace, check: string): Crl {
  let crl: Crl;
  try {
    crl = parseCrl(bytes);
  } catch (cause) {
    trace.fail(check, `CRL of ${commonName(issuer)} does not parse`, { cause });
  }
  if (!crlSignedBy(crl, issuer.publicKey)) trace.fail(check, `CRL is not signed by ${commonName(issuer)}`);
  if (now < crl.thisUpdate || (crl.nextUpdate && now > crl.nextUpdate)) {
    trace.fail(check, `CRL of ${commonName(issuer)} is not current at ${now.toISOString()}`, {
      expected: `${crl.thisUpdate.toISOString()} … ${crl.nextUpdate?.toISOString() ?? 'open'}`,
      actual: now.toISOString(),
    });
  }
  for (const s of subjects) {
    if (crl.revoked.has(serialKey(s.serialNumber))) trace.fail(check, `${commonName(s)} (serial ${s.serialNumber}) is revoked`);
  }
  trace.pass(check, { detail: `${commonName(issuer)} CRL #${crl.crlNumber}` });
  return crl;
}
