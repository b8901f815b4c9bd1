/**
 * Azure TDX vTPM evidence (guest-components `attester/src/az_tdx_vtpm`, trustee
 * `az_tdx_vtpm/compat.rs`). Three shapes, told apart by `version`:
 * - v2 / v1: `{"version", "tpm_quote": {"signature": hex, "message": hex, "pcrs": [hex×24]},
 *   "hcl_report": base64url, "td_quote": base64url}`; v2 also binds the report data in the HCL
 *   variable data's `user-data`.
 * - v0 (no version): `{"tpm_quote": {"signature": [ints], "message": [ints], "pcrs": [[ints]×24]},
 *   "hcl_report": [ints], "td_quote": [ints]}`.
 * @module
 */
import { MalformedInput, expectArray, expectNumber, expectObject, expectString, fromBase64Url, fromHex, toBase64Url, toHex } from '../../core/index.js';
import type { AzVtpmQuote } from '../az-snp-vtpm/index.js';

export interface AzTdxVtpmEvidence {
  version: 0 | 1 | 2;
  quote: AzVtpmQuote;
  hclReport: Uint8Array;
  tdQuote: Uint8Array;
}

const PCR_COUNT = 24;

function byteArray(v: unknown, where: string): Uint8Array {
  const a = expectArray(v, where);
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const b = a[i];
    if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) throw new MalformedInput(`${where}: expected byte values`, { where });
    out[i] = b;
  }
  return out;
}

function hexBytes(v: unknown, where: string): Uint8Array {
  return fromHex(expectString(v, where), where);
}

function quoteOf(v: unknown, where: string, each: (x: unknown, w: string) => Uint8Array): AzVtpmQuote {
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

/** Parse any of the three evidence versions; throws `MalformedInput` naming the field. */
export function parseAzTdxVtpmEvidence(input: unknown): AzTdxVtpmEvidence {
  const o = expectObject(input, 'evidence');
  if (o.version === undefined) {
    return {
      version: 0,
      quote: quoteOf(o.tpm_quote, 'evidence.tpm_quote', byteArray),
      hclReport: byteArray(o.hcl_report, 'evidence.hcl_report'),
      tdQuote: byteArray(o.td_quote, 'evidence.td_quote'),
    };
  }
  const version = expectNumber(o.version, 'evidence.version');
  if (version !== 1 && version !== 2) throw new MalformedInput(`evidence.version: ${version} is not 1 or 2`, { where: 'evidence.version' });
  return {
    version,
    quote: quoteOf(o.tpm_quote, 'evidence.tpm_quote', hexBytes),
    hclReport: fromBase64Url(expectString(o.hcl_report, 'evidence.hcl_report'), 'evidence.hcl_report'),
    tdQuote: fromBase64Url(expectString(o.td_quote, 'evidence.td_quote'), 'evidence.td_quote'),
  };
}

/** serde_with `Base64<UrlSafe>` writes the URL-safe alphabet with padding. */
function base64UrlPadded(b: Uint8Array): string {
  const s = toBase64Url(b);
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** Build v2 evidence (what the `az-tdx-vtpm` attester sends). */
export function encodeAzTdxVtpmEvidence(e: { quote: AzVtpmQuote; hclReport: Uint8Array; tdQuote: Uint8Array }): Record<string, unknown> {
  return {
    version: 2,
    tpm_quote: { signature: toHex(e.quote.signature), message: toHex(e.quote.message), pcrs: e.quote.pcrs.map(toHex) },
    hcl_report: base64UrlPadded(e.hclReport),
    td_quote: base64UrlPadded(e.tdQuote),
  };
}
