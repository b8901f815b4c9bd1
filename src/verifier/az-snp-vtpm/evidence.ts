/**
 * Azure SEV-SNP vTPM evidence (guest-components `attester/src/az_snp_vtpm`, trustee
 * `az_snp_vtpm/compat.rs`). Three shapes, told apart by `version`:
 * - v2 / v1: `{"version", "tpm_quote": {"signature": hex, "message": hex, "pcrs": [hex×24]},
 *   "hcl_report": base64url (padded), "vcek": base64url DER}`; v2 also binds the report data in
 *   the HCL variable data's `user-data`.
 * - v0 (no version): `{"quote": {"signature": [ints], "message": [ints], "pcrs": [[ints]×24]},
 *   "report": [ints], "vcek": "<PEM>"}`.
 * @module
 */
import type { AzVtpmQuote } from '../common/az-vtpm.js';
import { MalformedInput, expectArray, expectNumber, expectObject, expectString, fromBase64Url, fromHex, toBase64Url, toHex, utf8 } from '../../core/index.js';


export type { AzVtpmQuote };

export interface AzSnpVtpmEvidence {
  version: 0 | 1 | 2;
  quote: AzVtpmQuote;
  hclReport: Uint8Array;
  /** VCEK as DER (v1/v2) or PEM text bytes (v0). */
  vcek: Uint8Array;
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

function pcrList(v: unknown, where: string, each: (x: unknown, w: string) => Uint8Array): Uint8Array[] {
  const list = expectArray(v, where);
  if (list.length !== PCR_COUNT) throw new MalformedInput(`${where}: expected ${PCR_COUNT} PCRs, got ${list.length}`, { where });
  return list.map((x, i) => {
    const pcr = each(x, `${where}[${i}]`);
    if (pcr.length !== 32) throw new MalformedInput(`${where}[${i}]: a SHA-256 PCR has 32 bytes`, { where: `${where}[${i}]` });
    return pcr;
  });
}

/** Parse any of the three evidence versions; throws `MalformedInput` naming the field. */
export function parseAzSnpVtpmEvidence(input: unknown): AzSnpVtpmEvidence {
  const o = expectObject(input, 'evidence');
  if (o.version === undefined) {
    const q = expectObject(o.quote, 'evidence.quote');
    return {
      version: 0,
      quote: {
        signature: byteArray(q.signature, 'evidence.quote.signature'),
        message: byteArray(q.message, 'evidence.quote.message'),
        pcrs: pcrList(q.pcrs, 'evidence.quote.pcrs', byteArray),
      },
      hclReport: byteArray(o.report, 'evidence.report'),
      vcek: utf8(expectString(o.vcek, 'evidence.vcek')),
    };
  }
  const version = expectNumber(o.version, 'evidence.version');
  if (version !== 1 && version !== 2) throw new MalformedInput(`evidence.version: ${version} is not 1 or 2`, { where: 'evidence.version' });
  const q = expectObject(o.tpm_quote, 'evidence.tpm_quote');
  const hex = (x: unknown, w: string) => fromHex(expectString(x, w), w);
  return {
    version,
    quote: {
      signature: hex(q.signature, 'evidence.tpm_quote.signature'),
      message: hex(q.message, 'evidence.tpm_quote.message'),
      pcrs: pcrList(q.pcrs, 'evidence.tpm_quote.pcrs', hex),
    },
    hclReport: fromBase64Url(expectString(o.hcl_report, 'evidence.hcl_report'), 'evidence.hcl_report'),
    vcek: fromBase64Url(expectString(o.vcek, 'evidence.vcek'), 'evidence.vcek'),
  };
}

/** serde_with `Base64<UrlSafe>` writes the URL-safe alphabet with padding. */
function base64UrlPadded(b: Uint8Array): string {
  const s = toBase64Url(b);
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** Build v2 evidence (what the `az-snp-vtpm` attester sends). */
export function encodeAzSnpVtpmEvidence(e: { quote: AzVtpmQuote; hclReport: Uint8Array; vcekDer: Uint8Array }): Record<string, unknown> {
  return {
    version: 2,
    tpm_quote: { signature: toHex(e.quote.signature), message: toHex(e.quote.message), pcrs: e.quote.pcrs.map(toHex) },
    hcl_report: base64UrlPadded(e.hclReport),
    vcek: base64UrlPadded(e.vcekDer),
  };
}
