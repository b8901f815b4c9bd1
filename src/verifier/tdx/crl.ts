/**
 * A minimal X.509 CRL reader (RFC 5280 §5.1) for Intel's PCK and Root CA CRLs: issuer signature,
 * update window, CRL number and the revoked serials. DER or PEM input.
 * @module
 */
import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { MalformedInput, fromBase64, toHex } from '../../core/index.js';
import { TAG, decodeInteger, decodeOid, decodeTime, derChildren, expectTag, parseDer, readDer } from '../common/der.js';

const CRL_NUMBER_OID = '2.5.29.20';

export interface Crl {
  tbs: Uint8Array;
  signature: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: number;
  /** Lowercase hex of each revoked serial (DER INTEGER content, leading zero stripped). */
  revoked: Set<string>;
}

function serialHex(content: Uint8Array): string {
  let i = 0;
  while (i < content.length - 1 && content[i] === 0) i++;
  return toHex(content.subarray(i));
}

/** Normalise a serial number as X509Certificate prints it (uppercase hex) into our CRL key form. */
export function serialKey(hexSerial: string): string {
  return hexSerial.toLowerCase().replace(/^(00)+(?=..)/, '');
}

/** Parse a CRL (DER bytes, or PEM text bytes). */
export function parseCrl(input: Uint8Array): Crl {
  let der = input;
  const head = new TextDecoder().decode(input.subarray(0, 32));
  if (head.includes('-----BEGIN')) {
    const m = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(new TextDecoder().decode(input));
    if (!m) throw new MalformedInput('CRL: PEM without an X509 CRL block', { where: 'crl' });
    der = fromBase64(m[1]!.replace(/\s+/g, ''), 'crl');
  }
  const root = expectTag(parseDer(der), TAG.SEQUENCE, 'CertificateList');
  const [tbsNode, , sigNode] = derChildren(der, root);
  if (!tbsNode || !sigNode) throw new MalformedInput('CRL: missing tbsCertList or signature', { where: 'crl' });
  const sigBits = expectTag(sigNode, TAG.BIT_STRING, 'CRL signature');
  const fields = derChildren(der, expectTag(tbsNode, TAG.SEQUENCE, 'tbsCertList'));
  let i = 0;
  if (fields[i]?.tag === TAG.INTEGER) i++; // version
  i += 2; // signature algorithm, issuer
  const thisUpdateNode = fields[i++];
  if (!thisUpdateNode) throw new MalformedInput('CRL: missing thisUpdate', { where: 'crl' });
  const thisUpdate = decodeTime(thisUpdateNode);
  let nextUpdate: Date | undefined;
  if (fields[i] && (fields[i]!.tag === TAG.UTC_TIME || fields[i]!.tag === TAG.GENERALIZED_TIME)) nextUpdate = decodeTime(fields[i++]!);
  const revoked = new Set<string>();
  if (fields[i]?.tag === TAG.SEQUENCE) {
    for (const entry of derChildren(der, fields[i++]!)) {
      const serial = derChildren(der, entry)[0];
      if (serial) revoked.add(serialHex(expectTag(serial, TAG.INTEGER, 'revoked serial').content));
    }
  }
  let crlNumber = 0;
  const extWrap = fields[i];
  if (extWrap?.tag === 0xa0) {
    const exts = readDer(der, extWrap.contentStart, extWrap.end);
    for (const ext of derChildren(der, exts)) {
      const parts = derChildren(der, ext);
      if (parts[0]?.tag === TAG.OID && decodeOid(parts[0].content) === CRL_NUMBER_OID) {
        const inner = parseDer(parts[parts.length - 1]!.content);
        crlNumber = Number(decodeInteger(expectTag(inner, TAG.INTEGER, 'cRLNumber').content));
      }
    }
  }
  return { tbs: tbsNode.raw, signature: sigBits.content.subarray(1), thisUpdate, nextUpdate, crlNumber, revoked };
}

/** True when `issuerKey` signed the CRL (ECDSA with SHA-256, DER signature as in X.509). */
export function crlSignedBy(crl: Crl, issuerKey: KeyObject): boolean {
  try {
    return cryptoVerify('sha256', crl.tbs, { key: issuerKey, dsaEncoding: 'der' }, crl.signature);
  } catch {
    return false;
  }
}
