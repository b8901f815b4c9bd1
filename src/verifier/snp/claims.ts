/**
 * SNP evidence → flat claims with upstream's names and JSON types (trustee `snp/mod.rs`
 * `parse_tee_evidence`): numbers and booleans native, byte fields lowercase hex.
 * @module
 */
import { toHex } from '../../core/index.js';
import type { SnpReport } from './report.js';

/** Guest policy bits (SEV-SNP ABI Table 9) and platform info bits (Table 23, PLATFORM_INFO). */
export function policyFields(r: SnpReport) {
  const bit = (v: bigint, n: number) => ((v >> BigInt(n)) & 1n) === 1n;
  return {
    abiMinor: Number(r.policy & 0xffn),
    abiMajor: Number((r.policy >> 8n) & 0xffn),
    smtAllowed: bit(r.policy, 16),
    migrateMa: bit(r.policy, 18),
    debugAllowed: bit(r.policy, 19),
    singleSocket: bit(r.policy, 20),
    smtEnabled: bit(r.platInfo, 0),
    tsmeEnabled: bit(r.platInfo, 1),
  };
}

export function snpClaims(r: SnpReport): Record<string, unknown> {
  const f = policyFields(r);
  return {
    policy_abi_major: f.abiMajor,
    policy_abi_minor: f.abiMinor,
    policy_smt_allowed: f.smtAllowed,
    policy_migrate_ma: f.migrateMa,
    policy_debug_allowed: f.debugAllowed,
    policy_single_socket: f.singleSocket,
    reported_tcb_bootloader: r.reportedTcb.bootloader,
    reported_tcb_tee: r.reportedTcb.tee,
    reported_tcb_snp: r.reportedTcb.snp,
    reported_tcb_microcode: r.reportedTcb.microcode,
    platform_tsme_enabled: f.tsmeEnabled,
    platform_smt_enabled: f.smtEnabled,
    measurement: toHex(r.measurement),
    report_data: toHex(r.reportData),
    init_data: toHex(r.hostData),
    chip_id: toHex(r.chipId),
  };
}
