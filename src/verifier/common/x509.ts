/**
 * X.509 certificates for verifiers: node:crypto's X509Certificate for signatures, plus the parts
 * it does not expose (raw extensions, validity as Dates) read with our DER reader. Parsed
 * certificates are cached by their DER bytes so hot paths never re-parse (dependencies §1, §17).
 * @module
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { MalformedInput, fromBase64 } from '../../core/index.js';
import { TAG, decodeOid, decodeTime, derChildren, expectTag, parseDer } from './der.js';

export interface Certificate {
  /** Lowercase hex SHA-256 of the DER; the cache key. */
  fingerprint: string;
  der: Uint8Array;
  x509: X509Certificate;
  publicKey: KeyObject;
  subjectCN: string | undefined;
  issuerCN: string | undefined;
  notBefore: Date;
  notAfter: Date;
  /** extnID → extnValue content (the bytes inside the OCTET STRING). */
  extensions: ReadonlyMap<string, Uint8Array>;
}

const CACHE_LIMIT = 4096;
const cache = new Map<string, Certificate>();

function commonName(dn: string): string | undefined {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

function readTbs(der: Uint8Array): { notBefore: Date; notAfter: Date; extensions: Map<string, Uint8Array> } {
  const cert = expectTag(parseDer(der), TAG.SEQUENCE, 'certificate');
  const [tbs] = derChildren(der, cert);
  if (!tbs) throw new MalformedInput('certificate: no tbsCertificate', { where: 'certificate' });
  const parts = derChildren(der, expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate'));
  let i = parts[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  i += 3; // serialNumber, signature, issuer
  const validity = parts[i];
  if (!validity) throw new MalformedInput('certificate: no validity', { where: 'certificate.validity' });
  const [nb, na] = derChildren(der, expectTag(validity, TAG.SEQUENCE, 'validity'));
  if (!nb || !na) throw new MalformedInput('certificate: incomplete validity', { where: 'certificate.validity' });
  const extensions = new Map<string, Uint8Array>();
  const ext = parts.find((p) => p.tag === 0xa3);
  if (ext) {
    const [list] = derChildren(der, ext);
    if (!list) throw new MalformedInput('certificate: empty extensions', { where: 'certificate.extensions' });
    for (const e of derChildren(der, expectTag(list, TAG.SEQUENCE, 'extensions'))) {
      const fields = derChildren(der, expectTag(e, TAG.SEQUENCE, 'extension'));
      if (fields.length < 2) throw new MalformedInput('certificate: short extension', { where: 'certificate.extensions' });
      const oid = decodeOid(expectTag(fields[0]!, TAG.OID, 'extnID').content);
      const value = expectTag(fields[fields.length - 1]!, TAG.OCTET_STRING, 'extnValue');
      if (extensions.has(oid)) throw new MalformedInput(`certificate: duplicate extension ${oid}`, { where: 'certificate.extensions' });
      extensions.set(oid, value.content);
    }
  }
  return { notBefore: decodeTime(nb), notAfter: decodeTime(na), extensions };
}

/** Parse a DER certificate (cached by its bytes); throws `MalformedInput` when it is not one. */
export function parseCertificate(der: Uint8Array): Certificate {
  // Keyed by the exact bytes (as a latin1 string: cheaper than hashing on every hit).
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  const hit = cache.get(key);
  if (hit) return hit;
  const fingerprint = createHash('sha256').update(der).digest('hex');
  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    publicKey = x509.publicKey;
  } catch (cause) {
    throw new MalformedInput('not an X.509 certificate', { where: 'certificate', cause });
  }
  const copy = new Uint8Array(der);
  const { notBefore, notAfter, extensions } = readTbs(copy);
  const cert: Certificate = {
    fingerprint,
    der: copy,
    x509,
    publicKey,
    subjectCN: commonName(x509.subject),
    issuerCN: commonName(x509.issuer),
    notBefore,
    notAfter,
    extensions,
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, cert);
  return cert;
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in a PEM text, in order; throws `MalformedInput` when there is none. */
export function parsePemCertificates(pem: string): Certificate[] {
  const out: Certificate[] = [];
  for (const m of pem.matchAll(PEM_RE)) out.push(parseCertificate(fromBase64(m[1]!.replace(/\s+/g, ''), 'pem')));
  if (out.length === 0) throw new MalformedInput('no PEM certificate found', { where: 'pem' });
  return out;
}

/** Parse DER or PEM bytes (sniffs the PEM armour). */
export function parseCertificateBytes(bytes: Uint8Array): Certificate {
  if (bytes[0] === 0x2d /* '-' */) return parsePemCertificates(new TextDecoder().decode(bytes))[0]!;
  return parseCertificate(bytes);
}

/** True when `now` lies within the certificate's validity period (RFC 5280 §4.1.2.5, inclusive). */
export function isValidAt(cert: Certificate, now: Date): boolean {
  const t = now.getTime();
  return t >= cert.notBefore.getTime() && t <= cert.notAfter.getTime();
}
