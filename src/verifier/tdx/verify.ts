/**
 * TDX quote verification, one named check at a time (STYLE habit 4: pure; collateral and `now` are
 * arguments). Order: quote type, PCK chain (+CRLs), QE report signature, QE binding, quote signature,
 * collateral (TCB signing chain, signatures, validity, TCB level), report data, init data, event log.
 * @module
 */
import { bytesEqual, resizeBytes, toHex, utf8 } from '../../core/index.js';
import type { CheckTrace } from '../common/check-trace.js';
import { findReplayMismatch, parseCcEventLog, type CcEventLog } from '../common/eventlog/index.js';
import type { Expected, TdxCollateral } from '../verifier.js';
import type { KeyObject, X509Certificate } from 'node:crypto';
import { BoundedCache } from './cache.js';
import { checkChainCrls, commonName, intelRootCa, toX509, verifyIntelChain, type ChainResult } from './chain.js';
import { parseQeIdentity, parseTcbInfo, type QeIdentity, type TcbInfo } from './collateral.js';
import { parsePlatformInfo, splitPemCertificates, type PlatformInfo } from './pck.js';
import { parseTdQuote, type TdQuote } from './quote.js';
import { INTEL_TCB_SIGNING_PEM } from './roots.js';
import { checkQeBinding, checkQeReportSignature, checkQuoteSignature, verifyP256 } from './signatures.js';
import { supplementalClaims } from './supplemental.js';
import { evaluateTcb } from './tcb.js';

/** Results that depend only on bytes (never on time), reused across evaluations. */
export interface TdxCaches {
  /** PCK chain PEM → certificates whose signatures verified up to the root, the leaf's key and SGX extension. */
  chains: BoundedCache<{ certs: X509Certificate[]; pckKey: KeyObject; platform: PlatformInfo }>;
  /** Raw attestation keys (hex) → key objects. */
  keys: BoundedCache<KeyObject>;
  /** Collateral texts → parsed documents whose signatures verified, with their signing chain. */
  collateral: BoundedCache<{ tcbInfo: TcbInfo; qe: QeIdentity; issuer: X509Certificate[] }>;
}

export function createTdxCaches(): TdxCaches {
  return { chains: new BoundedCache(), collateral: new BoundedCache(), keys: new BoundedCache() };
}

/** What to do when no collateral is available for the quote's FMSPC. */
export type CollateralMode = 'require' | 'optional';

export interface VerifiedQuote {
  quote: TdQuote;
  platform: PlatformInfo;
  /** Supplemental claims; `{tcb_status: "Unavailable"}` when collateral was optional and absent. */
  supplemental: Record<string, unknown>;
}

/** Fail `tdx.quote.type` for quotes that are not TDX (e.g. an SGX v3 quote), before full parsing. */
export function checkQuoteType(bytes: Uint8Array, trace: CheckTrace): void {
  if (bytes.length >= 8) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
    const version = dv.getUint16(0, true);
    const teeType = dv.getUint32(4, true);
    if (version === 3 || ((version === 4 || version === 5) && teeType === 0)) trace.fail('tdx.quote.type', `expected a TDX quote (v4/v5), got an SGX quote (v${version})`, { actual: `v${version}, tee_type 0x${teeType.toString(16)}` });
  }
  trace.pass('tdx.quote.type');
}

/** Parse and check the collateral signatures and validity windows. */
function checkCollateral(c: TdxCollateral, now: Date, trace: CheckTrace, caches?: TdxCaches): { tcbInfo: TcbInfo; qe: QeIdentity; chain: ChainResult; issued: Date[]; expires: Date[] } {
  const key = `${c.tcbInfo}\u0000${c.qeIdentity}\u0000${c.tcbInfoIssuerChain}`;
  const hit = caches?.collateral.get(key);
  let tcbInfo: TcbInfo;
  let qe: QeIdentity;
  let chain: ChainResult;
  if (hit) {
    ({ tcbInfo, qe } = hit);
    chain = verifyIntelChain(hit.issuer, now, trace, 'tdx.tcb_signing.chain', c.rootCaCrl ? { rootCrl: c.rootCaCrl } : {}, true);
    trace.pass('tdx.tcb_info.signature');
    trace.pass('tdx.qe_identity.signature');
  } else {
    tcbInfo = parseTcbInfo(c.tcbInfo);
    qe = parseQeIdentity(c.qeIdentity);
    const issuerPem = c.tcbInfoIssuerChain.trim() ? c.tcbInfoIssuerChain : INTEL_TCB_SIGNING_PEM;
    const issuer = toX509(splitPemCertificates(issuerPem), 'tcb signing chain');
    if (issuer.length === 1) issuer.push(intelRootCa());
    if (commonName(issuer[0]!) !== 'Intel SGX TCB Signing') trace.fail('tdx.tcb_signing.chain', `collateral is signed by ${JSON.stringify(commonName(issuer[0]!))}, not the Intel SGX TCB Signing certificate`);
    chain = verifyIntelChain(issuer, now, trace, 'tdx.tcb_signing.chain', c.rootCaCrl ? { rootCrl: c.rootCaCrl } : {});
    const key0 = issuer[0]!.publicKey;
    trace.require(verifyP256(key0, utf8(tcbInfo.signedText), tcbInfo.signature), 'tdx.tcb_info.signature', 'TCB info is not signed by the Intel TCB signing key');
    trace.require(verifyP256(key0, utf8(qe.signedText), qe.signature), 'tdx.qe_identity.signature', 'QE identity is not signed by the Intel TCB signing key');
    caches?.collateral.set(key, { tcbInfo, qe, issuer });
  }
  for (const [what, doc] of [
    ['TCB info', tcbInfo],
    ['QE identity', qe],
  ] as const) {
    if (now < doc.issueDate || now > doc.nextUpdate) {
      trace.fail('tdx.collateral.validity', `${what} is not valid at ${now.toISOString()} (verify as of a date inside its window)`, {
        expected: `${doc.issueDate.toISOString()} … ${doc.nextUpdate.toISOString()}`,
        actual: now.toISOString(),
      });
    }
  }
  trace.pass('tdx.collateral.validity');
  const issued = [tcbInfo.issueDate, qe.issueDate, ...chain.validity.map((v) => v.notBefore)];
  const expires = [tcbInfo.nextUpdate, qe.nextUpdate, ...chain.validity.map((v) => v.notAfter)];
  return { tcbInfo, qe, chain, issued, expires };
}

/**
 * Verify a quote's signature chain and, with collateral, its TCB. `collateralFor` is called with the
 * PCK certificate's FMSPC and CA type only after the PCK chain has verified.
 */
export async function verifyTdQuote(
  bytes: Uint8Array,
  now: Date,
  trace: CheckTrace,
  collateralFor: (fmspc: string, ca: 'platform' | 'processor') => Promise<TdxCollateral | undefined>,
  mode: CollateralMode,
  caches?: TdxCaches,
): Promise<VerifiedQuote> {
  checkQuoteType(bytes, trace);
  const quote = parseTdQuote(bytes);
  const cached = caches?.chains.get(quote.pckChainPem);
  const certs = cached?.certs ?? toX509(splitPemCertificates(quote.pckChainPem), 'pck chain');
  if (certs.length !== 3) trace.fail('tdx.pck.chain', `PCK chain has ${certs.length} certificates, expected 3`);
  const chainValidity = verifyIntelChain(certs, now, trace, 'tdx.pck.chain', {}, cached !== undefined);
  const pckKey = cached?.pckKey ?? certs[0]!.publicKey;
  // Only a verified PCK certificate chooses what collateral we look up.
  const platform = cached?.platform ?? parsePlatformInfo(new Uint8Array(certs[0]!.raw), commonName(certs[1]!));
  if (!cached) caches?.chains.set(quote.pckChainPem, { certs, pckKey, platform });
  const collateral = await collateralFor(toHex(platform.fmspc), platform.ca);
  const pckChain = { ...chainValidity, ...(collateral ? checkChainCrls(certs, { leafCrl: collateral.pckCrl, rootCrl: collateral.rootCaCrl }, now, trace, 'tdx.pck.chain') : {}) };
  checkQeReportSignature(quote, pckKey, trace);
  checkQeBinding(quote, trace);
  checkQuoteSignature(quote, trace, caches?.keys);
  if (!collateral) {
    if (mode === 'require') trace.fail('tdx.collateral', `no TCB collateral for FMSPC ${toHex(platform.fmspc)}`);
    return { quote, platform, supplemental: { tcb_status: 'Unavailable' } };
  }
  const c = checkCollateral(collateral, now, trace, caches);
  const evaluation = evaluateTcb(c.tcbInfo, c.qe, quote, platform, trace);
  const crlDates = [pckChain.leafCrl, pckChain.rootCrl, c.chain.rootCrl].filter((x) => x !== undefined);
  const supplemental = supplementalClaims({
    evaluation,
    platform,
    issued: [...c.issued, ...pckChain.validity.map((v) => v.notBefore), ...crlDates.map((x) => x.thisUpdate)],
    expires: [...c.expires, ...pckChain.validity.map((v) => v.notAfter), ...crlDates.flatMap((x) => (x.nextUpdate ? [x.nextUpdate] : []))],
    pckCrl: pckChain.leafCrl,
    rootCrl: pckChain.rootCrl ?? c.chain.rootCrl,
    tcbEvaluationDataNumber: Math.min(c.tcbInfo.tcbEvaluationDataNumber, c.qe.tcbEvaluationDataNumber),
    root: intelRootCa(),
  });
  return { quote, platform, supplemental };
}

/** `check` passes when `digest`, zero-padded (or truncated) to the field's width, equals `field`. */
function checkPaddedDigest(check: string, digest: Uint8Array, field: Uint8Array, message: string, trace: CheckTrace): void {
  const want = resizeBytes(digest, field.length);
  trace.require(bytesEqual(want, field), check, message, { expected: toHex(want), actual: toHex(field) });
}

/** Report data binding (`tdx.report_data`): the digest zero-padded (or truncated) to 64 bytes. */
export function checkReportData(quote: TdQuote, expected: Expected, trace: CheckTrace): void {
  if (expected.reportData) checkPaddedDigest('tdx.report_data', expected.reportData, quote.body.reportData, 'REPORT_DATA differs from the runtime-data digest', trace);
}

/** Init-data binding (`tdx.init_data`): MRCONFIGID equals the digest padded to 48 bytes. */
export function checkInitData(quote: TdQuote, expected: Expected, trace: CheckTrace): void {
  if (expected.initDataDigest) checkPaddedDigest('tdx.init_data', expected.initDataDigest, quote.body.mrConfigId, 'MRCONFIGID differs from the init-data digest', trace);
}

/** Parse the event log and check it replays to RTMR0..3 (`tdx.eventlog.replay`). */
export function checkEventLog(quote: TdQuote, ccel: Uint8Array, trace: CheckTrace): CcEventLog {
  const log = parseCcEventLog(ccel);
  const refs = quote.body.rtmr.map((value, i) => ({ index: i + 1, value }));
  const m = findReplayMismatch(log, 'SHA-384', refs);
  if (m) {
    trace.fail('tdx.eventlog.replay', `event log does not replay to RTMR${m.index - 1} (CC MR index ${m.index})`, { expected: m.given, actual: m.calculated });
  }
  trace.pass('tdx.eventlog.replay');
  return log;
}
