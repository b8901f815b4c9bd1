/**
 * TD relaunch detection (TDX 1.5 TD-preserving module updates). A TD 1.5 report carries two TEE TCB
 * SVNs: TEE_TCB_SVN, of the TDX module the TD was launched on, and TEE_TCB_SVN2, of the module it runs
 * on now. When the platform's TCB is out of date only because the launch-time module is, while the
 * current module already meets the newest TCB level, relaunching the TD brings it up to date: Intel's
 * QVL then reports `TDRelaunchAdvised` (or `TDRelaunchAdvisedConfigurationNeeded`) instead of
 * `OutOfDate`. Spec: Intel TDX DCAP Quote Verification Library, "TD relaunch" status evaluation.
 * @module
 */
import type { CheckTrace } from '../common/check-trace.js';
import type { IsvTcbLevel, PlatformTcbLevel, TcbInfo, TcbStatus } from './collateral.js';
import type { PlatformInfo } from './pck.js';

export type RelaunchStatus = 'TDRelaunchAdvised' | 'TDRelaunchAdvisedConfigurationNeeded';

const CONFIGURATION_NEEDED = new Set<string>(['ConfigurationNeeded', 'OutOfDateConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded']);
const SGX_CURRENT = new Set<string>(['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded']);

/** `TDX_<major>` as TCB info v3 names module identities. */
export function moduleIdentityId(major: number): string {
  return `TDX_${major.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The first (newest) level whose SGX components and PCE SVN the platform meets: the SGX half of level matching. */
function sgxLevel(info: TcbInfo, platform: PlatformInfo): PlatformTcbLevel | undefined {
  return info.tcbLevels.find((l) => platform.pceSvn >= l.pceSvn && l.sgxComponents.every((svn, i) => platform.tcbComponents[i]! >= svn));
}

export interface RelaunchInput {
  info: TcbInfo;
  platform: PlatformInfo;
  /** TEE_TCB_SVN2 of a TD 1.5 report; undefined for TD 1.0 bodies (no relaunch detection). */
  teeTcbSvn2: Uint8Array | undefined;
  /** Platform TCB status after converging the launch-time module's status, before the QE's. */
  tdxStatus: TcbStatus;
  /** The launch-time module's matched identity level (v3 identities only). */
  moduleLevel: IsvTcbLevel | undefined;
  qeLevel: IsvTcbLevel;
}

/**
 * The relaunch status, or undefined when the evaluation stands. Conditions: the QE is current; the
 * SGX side is current (maybe needing configuration or SW hardening); the TDX side is out of date
 * because the launch-time module is; and the current module (TEE_TCB_SVN2: minor SVN against the
 * newest level of its identity, or of the newest TCB level for a major version 0) and the TDX late
 * microcode SVN (byte 2) meet the newest TCB level.
 * @throws VerificationFailed `tdx.tcb.module` when TCB info has no identity for the current module
 */
export function relaunchStatus(r: RelaunchInput, trace: CheckTrace): RelaunchStatus | undefined {
  const svn2 = r.teeTcbSvn2;
  if (!svn2 || r.moduleLevel?.tcbStatus !== 'OutOfDate') return undefined;
  if (r.qeLevel.tcbStatus === 'OutOfDate' || r.qeLevel.tcbStatus === 'Revoked') return undefined;
  const sgx = sgxLevel(r.info, r.platform)?.tcbStatus;
  if (!sgx || !SGX_CURRENT.has(sgx)) return undefined;
  if (r.tdxStatus !== 'OutOfDate' && r.tdxStatus !== 'OutOfDateConfigurationNeeded') return undefined;
  const newest = r.info.tcbLevels[0];
  if (!newest) return undefined;
  let moduleCurrent: boolean;
  if (svn2[1] === 0) {
    moduleCurrent = svn2[0]! >= newest.tdxComponents[0]!;
  } else {
    const id = moduleIdentityId(svn2[1]!);
    const ident = r.info.tdxModuleIdentities.find((m) => m.id === id);
    if (!ident) return trace.fail('tdx.tcb.module', `TCB info has no identity for the current TDX module ${id} (TEE_TCB_SVN2)`);
    const top = ident.tcbLevels[0];
    moduleCurrent = top !== undefined && svn2[0]! >= top.isvSvn;
  }
  if (!moduleCurrent || svn2[2]! < newest.tdxComponents[2]!) return undefined;
  return CONFIGURATION_NEEDED.has(sgx) || CONFIGURATION_NEEDED.has(r.tdxStatus) ? 'TDRelaunchAdvisedConfigurationNeeded' : 'TDRelaunchAdvised';
}
