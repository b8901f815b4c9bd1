/**
 * initdata: the TOML document that configures a pod VM's guest components and whose digest is
 * measured into the TEE (reference/guest-components.md §6, reference/trustee.md §1.4).
 * digest = H_algorithm(exact TOML bytes) — no canonicalisation.
 * @module
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  MalformedInput,
  digest,
  expectObject,
  expectString,
  fromBase64,
  parseHashAlgorithm,
  parseToml,
  resizeBytes,
  toBase64,
  utf8,
  type HashAlgorithm,
} from '../core/index.js';

/** Pod annotation carrying base64(gzip(TOML)) (CoCo ≥ v0.16). */
export const INITDATA_ANNOTATION = 'io.katacontainers.config.hypervisor.cc_init_data';
export const INITDATA_VERSION = '0.1.0';

export interface InitData {
  version: string;
  algorithm: HashAlgorithm;
  /** String → string map: `aa.toml`, `cdh.toml`, `policy.rego`, ... */
  data: Record<string, string>;
}

/** Parse initdata TOML. Only the lowercase no-dash algorithm names are accepted, as upstream AA/AS do. */
export function parseInitData(toml: string): InitData {
  const doc = parseToml(toml, 'initdata');
  const version = expectString(doc.version, 'initdata.version');
  const algName = expectString(doc.algorithm, 'initdata.algorithm');
  if (!['sha256', 'sha384', 'sha512'].includes(algName)) {
    throw new MalformedInput(`initdata.algorithm: unsupported ${JSON.stringify(algName).slice(0, 80)} (sha256, sha384 or sha512)`, { where: 'initdata.algorithm' });
  }
  const dataObj = doc.data === undefined ? {} : expectObject(doc.data, 'initdata.data');
  // defineProperty, so a key such as `__proto__` is an own entry like any other.
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(dataObj)) {
    Object.defineProperty(data, k, { value: expectString(v, `initdata.data.${k}`), enumerable: true, writable: true, configurable: true });
  }
  return { version, algorithm: parseHashAlgorithm(algName), data };
}

/** Digest of the exact TOML bytes with the document's own algorithm. */
export function initDataDigest(toml: string, algorithm?: HashAlgorithm): Uint8Array {
  return digest(algorithm ?? parseInitData(toml).algorithm, utf8(toml));
}

/** What the hardware shows for a digest: SNP HOST_DATA (32), TDX MRCONFIGID (48), vTPM/TPM PCR 8. */
export function initDataHardwareValues(d: Uint8Array): { snpHostData: Uint8Array; tdxMrConfigId: Uint8Array; pcr8: Uint8Array } {
  return {
    snpHostData: resizeBytes(d, 32),
    tdxMrConfigId: resizeBytes(d, 48),
    pcr8: pcr8AfterInitData(d),
  };
}

/**
 * PCR 8 after one SHA-256 extend from zero with the digest resized to 32 bytes:
 * SHA-256(0^32 ‖ resize(d, 32)) (reference/trustee.md §1.4, §5.5 (9)).
 */
export function pcr8AfterInitData(d: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(resizeBytes(d, 32), 32);
  return digest('sha256', buf);
}

/** Annotation value: standard base64 of gzip of the exact TOML bytes. */
export function encodeInitDataAnnotation(toml: string): string {
  return toBase64(new Uint8Array(gzipSync(utf8(toml))));
}

/** Decode an annotation value back to the TOML text (bounded to 16 MiB decompressed). */
export function decodeInitDataAnnotation(value: string): string {
  const gz = fromBase64(value.trim(), 'initdata annotation', true);
  let raw: Buffer;
  try {
    raw = gunzipSync(gz, { maxOutputLength: 16 * 1024 * 1024 });
  } catch (cause) {
    throw new MalformedInput('initdata annotation: not gzip data', { where: 'initdata annotation', cause });
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(raw);
}
