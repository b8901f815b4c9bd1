/**
 * Azure TDX vTPM claims, as upstream: the TDX quote claims (no event log), then `tpm` =
 * `{pcr00..pcr23}` in hex, `init_data` = hex of PCR 8 and `report_data` = hex of the TPM nonce
 * (overwriting the TDX values), then the DCAP supplemental claims.
 * @module
 */
import { toHex } from '../../core/index.js';
import { INITDATA_PCR } from '../common/az-vtpm.js';
import { toTdxClaims, type VerifiedQuote } from '../tdx/index.js';

export function azTdxClaims(v: VerifiedQuote, nonce: Uint8Array, pcrs: Uint8Array[]): Record<string, unknown> {
  const claims = toTdxClaims(v.quote, undefined, v.platform);
  const tpm: Record<string, string> = {};
  pcrs.forEach((pcr, i) => (tpm[`pcr${String(i).padStart(2, '0')}`] = toHex(pcr)));
  claims.tpm = tpm;
  claims.init_data = toHex(pcrs[INITDATA_PCR]!);
  claims.report_data = toHex(nonce);
  return { ...claims, ...v.supplemental };
}
