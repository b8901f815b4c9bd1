/**
 * The parts of Azure vTPM evidence that az-snp-vtpm and az-tdx-vtpm share: the version field (absent
 * = v0, else 1 or 2), the vTPM quote (`signature`, `message`, 24 SHA-256 `pcrs`; JSON byte arrays in
 * v0, hex in v1/v2), binary fields (byte arrays in v0, padded base64url in v1/v2) and the v2 encoding.
 * @module
 */
import { MalformedInput, expectArray, expectNumber, expectObject, expectString, fromBase64Url, fromHex, toBase64Url, toHex } from '../../core/index.js';
import type { AzVtpmQuote } from './az-vtpm.js';
import { jsonByteArray } from './json-bytes.js';

export type AzVtpmVersion = 0 | 1 | 2;

const PCR_COUNT = 24;

/** `version` of the evidence object: absent means v0. @throws MalformedInput for anything but 1 or 2 */
export function azVtpmVersion(o: Record<string, unknown>): AzVtpmVersion {
  if (o.version === undefined) return 0;
  const version = expectNumber(o.version, 'evidence.version');
  if (version !== 1 && version !== 2) throw new MalformedInput(`evidence.version: ${version} is not 1 or 2`, { where: 'evidence.version' });
  return version;
}

const hexBytes = (v: unknown, where: string) => fromHex(expectString(v, where), where);

/** A binary field: a JSON byte array in v0, padded or unpadded base64url in v1/v2. */
export function azBinaryField(v: unknown, where: string, version: AzVtpmVersion): Uint8Array {
  return version === 0 ? jsonByteArray(v, where) : fromBase64Url(expectString(v, where), where);
}

/** The vTPM quote object; throws `MalformedInput` naming the field. */
export function parseAzVtpmQuote(v: unknown, where: string, version: AzVtpmVersion): AzVtpmQuote {
  const each = version === 0 ? jsonByteArray : hexBytes;
  const q = expectObject(v, where);
  const pcrs = expectArray(q.pcrs, `${where}.pcrs`);
  if (pcrs.length !== PCR_COUNT) throw new MalformedInput(`${where}.pcrs: expected ${PCR_COUNT} PCRs, got ${pcrs.length}`, { where: `${where}.pcrs` });
  return {
    signature: each(q.signature, `${where}.signature`),
    message: each(q.message, `${where}.message`),
    pcrs: pcrs.map((p, i) => {
      const pcr = each(p, `${where}.pcrs[${i}]`);
      if (pcr.length !== 32) throw new MalformedInput(`${where}.pcrs[${i}]: a SHA-256 PCR has 32 bytes`, { where: `${where}.pcrs[${i}]` });
      return pcr;
    }),
  };
}

/** serde_with `Base64<UrlSafe>` writes the URL-safe alphabet with padding. */
export function base64UrlPadded(b: Uint8Array): string {
  const s = toBase64Url(b);
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** The v1/v2 `tpm_quote` object. */
export function encodeAzVtpmQuote(q: AzVtpmQuote): { signature: string; message: string; pcrs: string[] } {
  return { signature: toHex(q.signature), message: toHex(q.message), pcrs: q.pcrs.map(toHex) };
}
