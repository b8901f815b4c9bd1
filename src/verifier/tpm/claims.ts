/**
 * Generic TPM claims (trustee `tpm/mod.rs` `parse_tee_evidence` + `extend_claim`): `init_data`
 * (hex of PCR 8), `report_data` (hex of the quote nonce), `ak_public` (as sent), `pcr00`…`pcr23`.
 * @module
 */
import { toHex } from '../../core/index.js';
import { INITDATA_PCR } from './verify.js';

export function tpmClaims(akPublicText: string, nonce: Uint8Array, pcrs: Uint8Array[]): Record<string, unknown> {
  const claims: Record<string, unknown> = { init_data: toHex(pcrs[INITDATA_PCR]!), report_data: toHex(nonce), ak_public: akPublicText };
  pcrs.forEach((p, i) => (claims[`pcr${String(i).padStart(2, '0')}`] = toHex(p)));
  return claims;
}
