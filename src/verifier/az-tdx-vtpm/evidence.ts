/**
 * Azure TDX vTPM evidence (guest-components `attester/src/az_tdx_vtpm`, trustee
 * `az_tdx_vtpm/compat.rs`). Three shapes, told apart by `version`:
 * - v2 / v1: `{"version", "tpm_quote": {"signature": hex, "message": hex, "pcrs": [hex×24]},
 *   "hcl_report": base64url, "td_quote": base64url}`; v2 also binds the report data in the HCL
 *   variable data's `user-data`.
 * - v0 (no version): `{"tpm_quote": {"signature": [ints], "message": [ints], "pcrs": [[ints]×24]},
 *   "hcl_report": [ints], "td_quote": [ints]}`.
 * The shared parts are in `../common/az-vtpm-evidence.ts`.
 * @module
 */
import { expectObject } from '../../core/index.js';
import type { AzVtpmQuote } from '../common/az-vtpm.js';
import { azBinaryField, azVtpmVersion, base64UrlPadded, encodeAzVtpmQuote, parseAzVtpmQuote, type AzVtpmVersion } from '../common/az-vtpm-evidence.js';

export interface AzTdxVtpmEvidence {
  version: AzVtpmVersion;
  quote: AzVtpmQuote;
  hclReport: Uint8Array;
  tdQuote: Uint8Array;
}

/** Parse any of the three evidence versions; throws `MalformedInput` naming the field. */
export function parseAzTdxVtpmEvidence(input: unknown): AzTdxVtpmEvidence {
  const o = expectObject(input, 'evidence');
  const version = azVtpmVersion(o);
  return {
    version,
    quote: parseAzVtpmQuote(o.tpm_quote, 'evidence.tpm_quote', version),
    hclReport: azBinaryField(o.hcl_report, 'evidence.hcl_report', version),
    tdQuote: azBinaryField(o.td_quote, 'evidence.td_quote', version),
  };
}

/** Build v2 evidence (what the `az-tdx-vtpm` attester sends). */
export function encodeAzTdxVtpmEvidence(e: { quote: AzVtpmQuote; hclReport: Uint8Array; tdQuote: Uint8Array }): Record<string, unknown> {
  return { version: 2, tpm_quote: encodeAzVtpmQuote(e.quote), hcl_report: base64UrlPadded(e.hclReport), td_quote: base64UrlPadded(e.tdQuote) };
}
