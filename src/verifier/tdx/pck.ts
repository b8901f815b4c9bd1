/**
 * The Intel SGX PCK certificate extension (OID 1.2.840.113741.1.13.1) and PEM chain splitting.
 * Spec: Intel SGX PCK Certificate and CRL Profile Specification §1.3.5 ("Intel SGX Extensions").
 * @module
 */
import { MalformedInput, fromBase64 } from '../../core/index.js';
import { TAG, decodeOid, decodeSmallInteger, derChildren, expectTag, parseDer, readDer, type DerNode } from '../common/der.js';

const SGX_EXT = '1.2.840.113741.1.13.1';
const PLATFORM_CA_CN = 'Intel SGX PCK Platform CA';
const PROCESSOR_CA_CN = 'Intel SGX PCK Processor CA';

/** What a PCK leaf certificate says about the platform. */
export interface PlatformInfo {
  ppid: Uint8Array;
  /** 16 SGX TCB component SVNs. */
  tcbComponents: number[];
  pceSvn: number;
  cpuSvn: Uint8Array;
  pceId: Uint8Array;
  fmspc: Uint8Array;
  /** 0 Standard, 1 Scalable, 2 Scalable with Integrity. */
  sgxType: number;
  /** Platform CA (multi-package platforms) or Processor CA. */
  ca: 'platform' | 'processor';
  /** Platform CA only; big-endian GUID bytes, as upstream reports it. */
  platformInstanceId?: Uint8Array;
  dynamicPlatform?: boolean;
  cachedKeys?: boolean;
  smtEnabled?: boolean;
}

/** Split PEM text into DER certificates, in order. */
export function splitPemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (const m of pem.matchAll(re)) out.push(fromBase64(m[1]!.replace(/\s+/g, ''), 'PEM certificate'));
  return out;
}

/** The `extnValue` contents of the extension `oid` in a certificate, or undefined. */
export function findExtension(certDer: Uint8Array, oid: string): Uint8Array | undefined {
  const cert = parseDer(certDer);
  const tbs = expectTag(derChildren(certDer, cert)[0]!, TAG.SEQUENCE, 'tbsCertificate');
  for (const field of derChildren(certDer, tbs)) {
    if (field.tag !== 0xa3) continue; // [3] extensions
    const exts = expectTag(readDer(certDer, field.contentStart, field.end), TAG.SEQUENCE, 'extensions');
    for (const ext of derChildren(certDer, exts)) {
      const parts = derChildren(certDer, ext);
      if (parts.length < 2 || parts[0]!.tag !== TAG.OID) continue;
      if (decodeOid(parts[0]!.content) !== oid) continue;
      return expectTag(parts[parts.length - 1]!, TAG.OCTET_STRING, 'extnValue').content;
    }
  }
  return undefined;
}

/** (OID suffix under the SGX extension) → value node, for one SEQUENCE of `{OID, value}` pairs. */
function entries(buf: Uint8Array, seq: DerNode, prefix: string): Map<string, DerNode> {
  const map = new Map<string, DerNode>();
  for (const item of derChildren(buf, expectTag(seq, TAG.SEQUENCE, prefix))) {
    const [id, value] = derChildren(buf, expectTag(item, TAG.SEQUENCE, prefix));
    if (!id || !value) throw new MalformedInput(`SGX extension: ${prefix} entry without a value`, { where: prefix });
    const oid = decodeOid(expectTag(id, TAG.OID, prefix).content);
    if (!oid.startsWith(`${prefix}.`)) continue;
    map.set(oid.slice(prefix.length + 1), value);
  }
  return map;
}

function need(map: Map<string, DerNode>, key: string, tag: number, what: string): DerNode {
  const n = map.get(key);
  if (!n) throw new MalformedInput(`SGX extension: missing ${what}`, { where: `sgx.${what}` });
  return expectTag(n, tag, what);
}

function octets(map: Map<string, DerNode>, key: string, what: string, size: number): Uint8Array {
  const v = need(map, key, TAG.OCTET_STRING, what).content;
  if (v.length !== size) throw new MalformedInput(`SGX extension: ${what} is ${v.length} bytes, expected ${size}`, { where: `sgx.${what}` });
  return v;
}

/**
 * Parse the SGX extension of a PCK leaf certificate. `ca` comes from the intermediate's common name
 * and must agree with the presence of the platform-only fields.
 * @throws MalformedInput when the extension is missing or malformed
 */
export function parsePlatformInfo(leafDer: Uint8Array, intermediateCn: string): PlatformInfo {
  const ca = intermediateCn === PLATFORM_CA_CN ? 'platform' : intermediateCn === PROCESSOR_CA_CN ? 'processor' : undefined;
  if (!ca) throw new MalformedInput(`unexpected PCK intermediate CA ${JSON.stringify(intermediateCn)}`, { where: 'pck.intermediate' });
  const ext = findExtension(leafDer, SGX_EXT);
  if (!ext) throw new MalformedInput('PCK certificate has no SGX extension', { where: 'pck.sgx_extension' });
  return parseSgxExtension(ext, ca);
}

/**
 * Parse the DER value of the SGX extension (`extnValue` contents) for a leaf issued by the
 * Platform or the Processor CA.
 * @throws MalformedInput when a field is missing, mistyped or the wrong size
 */
export function parseSgxExtension(ext: Uint8Array, ca: 'platform' | 'processor'): PlatformInfo {
  const top = entries(ext, parseDer(ext), SGX_EXT);
  const tcb = entries(ext, need(top, '2', TAG.SEQUENCE, 'tcb'), `${SGX_EXT}.2`);
  const tcbComponents: number[] = [];
  for (let i = 1; i <= 16; i++) tcbComponents.push(decodeSmallInteger(need(tcb, String(i), TAG.INTEGER, `tcb.comp${i}`).content));
  const info: PlatformInfo = {
    ppid: octets(top, '1', 'ppid', 16),
    tcbComponents,
    pceSvn: decodeSmallInteger(need(tcb, '17', TAG.INTEGER, 'pcesvn').content),
    cpuSvn: octets(tcb, '18', 'cpusvn', 16),
    pceId: octets(top, '3', 'pceid', 2),
    fmspc: octets(top, '4', 'fmspc', 6),
    sgxType: decodeSmallInteger(need(top, '5', TAG.ENUMERATED, 'sgx_type').content),
    ca,
  };
  const hasPlatformFields = top.has('6') || top.has('7');
  if (ca === 'processor') {
    if (hasPlatformFields) throw new MalformedInput('Processor CA PCK certificate carries platform-only fields', { where: 'pck.sgx_extension' });
    return info;
  }
  // The instance id is a little-endian GUID in the extension; upstream reports it byte-reversed.
  info.platformInstanceId = octets(top, '6', 'platform_instance_id', 16).slice().reverse();
  const cfg = entries(ext, need(top, '7', TAG.SEQUENCE, 'configuration'), `${SGX_EXT}.7`);
  const bool = (k: string, what: string) => need(cfg, k, TAG.BOOLEAN, what).content[0] !== 0;
  info.dynamicPlatform = bool('1', 'dynamic_platform');
  info.cachedKeys = bool('2', 'cached_keys');
  info.smtEnabled = bool('3', 'smt_enabled');
  return info;
}
