/**
 * Azure SNP vTPM claims, as upstream (`parse_tee_evidence_az` + `extend_claim`): the SNP policy and
 * TCB fields as **strings**, `measurement` in standard base64, then `report_data` = hex of the TPM
 * nonce, `init_data` = hex of PCR 8, and `tpm` = `{pcr00..pcr23}` in hex. No `chip_id`.
 * @module
 */
import { toBase64, toHex } from '../../core/index.js';
import { policyFields, type SnpReport } from '../snp/index.js';
import { INITDATA_PCR } from '../common/az-vtpm.js';

export function azSnpClaims(r: SnpReport, nonce: Uint8Array, pcrs: Uint8Array[]): Record<string, unknown> {
  const f = policyFields(r);
  const tpm: Record<string, string> = {};
  pcrs.forEach((pcr, i) => (tpm[`pcr${String(i).padStart(2, '0')}`] = toHex(pcr)));
  return {
    policy_abi_major: String(f.abiMajor),
    policy_abi_minor: String(f.abiMinor),
    policy_smt_allowed: String(f.smtAllowed),
    policy_migrate_ma: String(f.migrateMa),
    policy_debug_allowed: String(f.debugAllowed),
    policy_single_socket: String(f.singleSocket),
    reported_tcb_bootloader: String(r.reportedTcb.bootloader),
    reported_tcb_tee: String(r.reportedTcb.tee),
    reported_tcb_snp: String(r.reportedTcb.snp),
    reported_tcb_microcode: String(r.reportedTcb.microcode),
    platform_tsme_enabled: String(f.tsmeEnabled),
    platform_smt_enabled: String(f.smtEnabled),
    measurement: toBase64(r.measurement),
    report_data: toHex(nonce),
    init_data: toHex(pcrs[INITDATA_PCR]!),
    tpm,
  };
}
