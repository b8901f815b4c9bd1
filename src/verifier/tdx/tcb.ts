/**
 * TCB evaluation of a TD quote against TCB info and QE identity, following Intel's quote
 * verification library: the platform TCB level (SGX components + PCE SVN from the PCK certificate,
 * TDX components from TEE_TCB_SVN), the TDX module identity, and the QE identity, converged into one
 * status. Spec: Intel TDX DCAP Quote Verification Library, "TCB level matching" and
 * "TCB status convergence"; PCS API v4 TCB info v3 (tdxModuleIdentities).
 * @module
 */
import { bytesEqual, toHex } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import type { IsvTcbLevel, PlatformTcbLevel, QeIdentity, TcbInfo, TcbStatus } from './collateral.js';
import type { PlatformInfo } from './pck.js';
import type { TdQuote } from './quote.js';
import { moduleIdentityId, relaunchStatus, type RelaunchStatus } from './relaunch.js';

export interface TcbEvaluation {
  /** The converged status (never `Revoked`: that fails); a TD 1.5 report may get a relaunch status. */
  status: Exclude<TcbStatus, 'Revoked'> | RelaunchStatus;
  /** Earliest TCB date of the matched levels (platform, TDX module, QE). */
  tcbDate: Date;
  /** Advisory ids of the matched levels, platform first, without duplicates. */
  advisoryIds: string[];
  platformLevel: PlatformTcbLevel;
}

function masked(value: Uint8Array, mask: Uint8Array): Uint8Array {
  return value.map((b, i) => b & (mask[i] ?? 0));
}

/** The first platform TCB level (they are sorted from newest) that the platform meets, if any. */
export function matchPlatformLevel(info: TcbInfo, platform: PlatformInfo, teeTcbSvn: Uint8Array): PlatformTcbLevel | undefined {
  // TCB info v3 with a TDX module major version > 0: bytes 0 and 1 of TEE_TCB_SVN are the module
  // version and are judged by tdxModuleIdentities instead, so the comparison starts at byte 2.
  const start = info.version >= 3 && teeTcbSvn[1]! > 0 ? 2 : 0;
  return info.tcbLevels.find((l) => {
    if (!l.sgxComponents.every((svn, i) => platform.tcbComponents[i]! >= svn)) return false;
    if (platform.pceSvn < l.pceSvn) return false;
    for (let i = start; i < 16; i++) if (teeTcbSvn[i]! < l.tdxComponents[i]!) return false;
    return true;
  });
}

function isvLevel(levels: IsvTcbLevel[], svn: number): IsvTcbLevel | undefined {
  return levels.find((l) => svn >= l.isvSvn);
}

/** OutOfDate of a component pulls an UpToDate/SWHardening platform to OutOfDate, a Configuration one to OutOfDateConfigurationNeeded. */
function converge(platform: TcbStatus, component: TcbStatus): TcbStatus {
  if (component !== 'OutOfDate') return platform;
  if (platform === 'UpToDate' || platform === 'SWHardeningNeeded') return 'OutOfDate';
  if (platform === 'ConfigurationNeeded' || platform === 'ConfigurationAndSWHardeningNeeded') return 'OutOfDateConfigurationNeeded';
  return platform;
}

/** Check the TDX module against TCB info (`tdx.tcb.module`); returns its matched level when the identity list is used. */
function evaluateModule(info: TcbInfo, quote: TdQuote, trace: CheckTrace): IsvTcbLevel | undefined {
  const svn = quote.body.teeTcbSvn;
  const major = svn[1]!;
  if (info.version >= 3 && major > 0) {
    const id = moduleIdentityId(major);
    const ident = info.tdxModuleIdentities.find((m) => m.id === id);
    if (!ident) trace.fail('tdx.tcb.module', `TCB info has no identity for TDX module ${id}`);
    const ok = bytesEqual(ident.mrSigner, quote.body.mrSignerSeam) && bytesEqual(masked(quote.body.seamAttributes, ident.attributesMask), ident.attributes);
    if (!ok) trace.fail('tdx.tcb.module', `TDX module signer or attributes do not match ${id}`, { expected: toHex(ident.mrSigner), actual: toHex(quote.body.mrSignerSeam) });
    const level = isvLevel(ident.tcbLevels, svn[0]!);
    if (!level || level.tcbStatus === 'Revoked') trace.fail('tdx.tcb.module', `TDX module ${id} SVN ${svn[0]} is revoked or below every TCB level`);
    trace.pass('tdx.tcb.module', { detail: `${id} ${level.tcbStatus}` });
    return level;
  }
  const m = info.tdxModule;
  if (m) {
    const ok = bytesEqual(m.mrSigner, quote.body.mrSignerSeam) && bytesEqual(masked(quote.body.seamAttributes, m.attributesMask), m.attributes);
    trace.require(ok, 'tdx.tcb.module', 'TDX module signer or attributes do not match TCB info', { expected: toHex(m.mrSigner), actual: toHex(quote.body.mrSignerSeam) });
  }
  return undefined;
}

/** Check the QE report against the QE identity (`tdx.qe_identity`) and return its TCB level. */
function evaluateQe(qe: QeIdentity, quote: TdQuote, trace: CheckTrace): IsvTcbLevel {
  const r = quote.qeReport;
  if (qe.id !== 'TD_QE') trace.fail('tdx.qe_identity', `QE identity is for ${qe.id}, not TD_QE`);
  const mismatch =
    !bytesEqual(r.mrSigner, qe.mrSigner)
      ? 'MRSIGNER'
      : r.isvProdId !== qe.isvProdId
        ? 'ISVPRODID'
        : (r.miscSelect & qe.miscSelectMask) >>> 0 !== qe.miscSelect >>> 0
          ? 'MISCSELECT'
          : !bytesEqual(masked(r.attributes, qe.attributesMask), qe.attributes)
            ? 'ATTRIBUTES'
            : undefined;
  if (mismatch) trace.fail('tdx.qe_identity', `QE report ${mismatch} does not match the QE identity`);
  const level = isvLevel(qe.tcbLevels, r.isvSvn);
  if (!level || level.tcbStatus === 'Revoked') trace.fail('tdx.qe_identity', `QE ISVSVN ${r.isvSvn} is revoked or below every TCB level`);
  trace.pass('tdx.qe_identity', { detail: level.tcbStatus });
  return level;
}

/**
 * Evaluate the TCB: TCB info must be for TDX and this platform (`tdx.tcb_info.platform`), a level
 * must match (`tdx.tcb.level`), module and QE identities must match; `Revoked` fails `tdx.tcb.status`.
 */
export function evaluateTcb(info: TcbInfo, qe: QeIdentity, quote: TdQuote, platform: PlatformInfo, trace: CheckTrace): TcbEvaluation {
  if (info.id !== 'TDX' || info.version < 3) trace.fail('tdx.tcb_info.platform', `TCB info ${info.id} v${info.version} is not TDX TCB info v3`);
  if (!bytesEqual(info.fmspc, platform.fmspc) || !bytesEqual(info.pceId, platform.pceId)) {
    trace.fail('tdx.tcb_info.platform', 'TCB info is for another platform', { expected: toHex(platform.fmspc), actual: toHex(info.fmspc) });
  }
  trace.pass('tdx.tcb_info.platform');
  const level = matchPlatformLevel(info, platform, quote.body.teeTcbSvn);
  if (!level) trace.fail('tdx.tcb.level', 'the platform TCB is below every TCB level in TCB info');
  trace.pass('tdx.tcb.level', { detail: `${level.tcbStatus} (${level.tcbDate.toISOString()})` });
  const module = evaluateModule(info, quote, trace);
  const qeLevel = evaluateQe(qe, quote, trace);
  let status: TcbStatus = level.tcbStatus;
  if (module) status = converge(status, module.tcbStatus);
  const relaunch = relaunchStatus({ info, platform, teeTcbSvn2: quote.body.teeTcbSvn2, tdxStatus: status, moduleLevel: module, qeLevel }, trace);
  status = converge(status, qeLevel.tcbStatus);
  if (status === 'Revoked') trace.fail('tdx.tcb.status', 'the platform TCB is revoked');
  if (relaunch) {
    trace.pass('tdx.tcb.status', { detail: `${relaunch} (launched on an out-of-date TDX module; the current one is up to date)` });
    return { status: relaunch, ...datesAndAdvisories(level, module, qeLevel), platformLevel: level };
  }
  trace.pass('tdx.tcb.status', { detail: status });
  return { status, ...datesAndAdvisories(level, module, qeLevel), platformLevel: level };
}

/** Earliest TCB date and the advisory ids (platform, module, QE; no duplicates) of the matched levels. */
function datesAndAdvisories(level: PlatformTcbLevel, module: IsvTcbLevel | undefined, qeLevel: IsvTcbLevel): { tcbDate: Date; advisoryIds: string[] } {
  const dates = [level.tcbDate, qeLevel.tcbDate, ...(module ? [module.tcbDate] : [])];
  const tcbDate = new Date(Math.min(...dates.map((d) => d.getTime())));
  const advisoryIds = [...new Set([...level.advisoryIds, ...(module?.advisoryIds ?? []), ...qeLevel.advisoryIds])];
  return { tcbDate, advisoryIds };
}
