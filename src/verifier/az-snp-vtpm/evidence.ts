/**
 * Azure SEV-SNP vTPM evidence (guest-components `attester/src/az_snp_vtpm`, trustee
 * `az_snp_vtpm/compat.rs`). Three shapes, told apart by `version`:
 * - v2 / v1: `{"version", "tpm_quote": {"signature": hex, "message": hex, "pcrs": [hex×24]},
 *   "hcl_report": base64url (padded), "vcek": base64url DER}`; v2 also binds the report data in
 *   the HCL variable data's `user-data`.
 * - v0 (no version): `{"quote": {"signature": [ints], "message": [ints], "pcrs": [[ints]×24]},
 *   "report": [ints], "vcek": "<PEM>"}`.
 * The shared parts are in `../common/az-vtpm-evidence.ts`.
 * @module
 */
import { expectObject, expectString, utf8 } from '../../core/index.js';
import type { AzVtpmQuote } from '../common/az-vtpm.js';
import { azBinaryField, azVtpmVersion, base64UrlPadded, encodeAzVtpmQuote, parseAzVtpmQuote, type AzVtpmVersion } from '../common/az-vtpm-evidence.js';

export type { AzVtpmQuote };

export interface AzSnpVtpmEvidence {
  version: AzVtpmVersion;
  quote: AzVtpmQuote;
  hclReport: Uint8Array;
  /** VCEK as DER (v1/v2) or PEM text bytes (v0). */
  vcek: Uint8Array;
}

/** Parse any of the three evidence versions; throws `MalformedInput` naming the field. */
export function parseAzSnpVtpmEvidence(input: unknown): AzSnpVtpmEvidence {
  const o = expectObject(input, 'evidence');
  const version = azVtpmVersion(o);
  if (version === 0) {
    return {
      version,
      quote: parseAzVtpmQuote(o.quote, 'evidence.quote', version),
      hclReport: azBinaryField(o.report, 'evidence.report', version),
      vcek: utf8(expectString(o.vcek, 'evidence.vcek')),
    };
  }
  return {
    version,
    quote: parseAzVtpmQuote(o.tpm_quote, 'evidence.tpm_quote', version),
    hclReport: azBinaryField(o.hcl_report, 'evidence.hcl_report', version),
    vcek: azBinaryField(o.vcek, 'evidence.vcek', version),
  };
}

/** Build v2 evidence (what the `az-snp-vtpm` attester sends). */
export function encodeAzSnpVtpmEvidence(e: { quote: AzVtpmQuote; hclReport: Uint8Array; vcekDer: Uint8Array }): Record<string, unknown> {
  return { version: 2, tpm_quote: encodeAzVtpmQuote(e.quote), hcl_report: base64UrlPadded(e.hclReport), vcek: base64UrlPadded(e.vcekDer) };
}
