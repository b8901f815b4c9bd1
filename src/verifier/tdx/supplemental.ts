/**
 * The DCAP "supplemental data" claims upstream adds after Intel's quote verification library ran
 * (`tcb_status`, `tcb_date`, `advisory_ids`, collateral dates, CRL numbers, ...), computed here from
 * the collateral we verified. Names and formats as upstream `intel_dcap/claims.rs`.
 * @module
 */
import type { X509Certificate } from 'node:crypto';
import { sha384, toHex } from '../../core/index.js';
import type { Crl } from './crl.js';
import type { PlatformInfo } from './pck.js';
import type { TcbEvaluation } from './tcb.js';

/** RFC 3339 without fractional seconds, as upstream's `time` crate prints whole-second UTC times. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.000Z$/, 'Z');
}

const SGX_TYPES = ['Standard', 'Scalable', 'Scalable with Integrity'];

const rootKeyIds = new WeakMap<X509Certificate, string>();

/** Root key id: SHA-384 of the Root CA public key (uncompressed point), as the QVL describes it. */
function rootKeyId(root: X509Certificate): string {
  let id = rootKeyIds.get(root);
  if (id === undefined) {
    const spki = root.publicKey.export({ format: 'der', type: 'spki' });
    id = toHex(sha384(new Uint8Array(spki.subarray(spki.length - 65))));
    rootKeyIds.set(root, id);
  }
  return id;
}

export interface SupplementalInput {
  evaluation: TcbEvaluation;
  platform: PlatformInfo;
  /** Issue and expiry dates of everything that was verified (certificates, CRLs, TCB info, QE identity). */
  issued: Date[];
  expires: Date[];
  pckCrl?: Crl | undefined;
  rootCrl?: Crl | undefined;
  tcbEvaluationDataNumber: number;
  root: X509Certificate;
}

/** Build the supplemental claims. `collateral_expiration_status` is "0": expired collateral fails before this. */
export function supplementalClaims(s: SupplementalInput): Record<string, unknown> {
  const min = (ds: Date[]) => new Date(Math.min(...ds.map((d) => d.getTime())));
  const max = (ds: Date[]) => new Date(Math.max(...ds.map((d) => d.getTime())));
  const out: Record<string, unknown> = {
    earliest_issue_date: rfc3339(min(s.issued)),
    latest_issue_date: rfc3339(max(s.issued)),
    earliest_expiration_date: rfc3339(min(s.expires)),
    tcb_date: rfc3339(s.evaluation.tcbDate),
    pck_crl_num: s.pckCrl?.crlNumber ?? 0,
    root_ca_crl_num: s.rootCrl?.crlNumber ?? 0,
    tcb_eval_num: s.tcbEvaluationDataNumber,
    platform_provider_id: toHex(s.platform.ppid),
    sgx_type: SGX_TYPES[s.platform.sgxType] ?? `Unknown (${s.platform.sgxType})`,
  };
  if (s.platform.sgxType > 0) {
    out.is_dynamic_platform = s.platform.dynamicPlatform === true;
    out.is_cached_keys = s.platform.cachedKeys === true;
    out.is_smt_enabled = s.platform.smtEnabled === true;
  }
  out.root_key_id = rootKeyId(s.root);
  out.tcb_status = s.evaluation.status;
  out.collateral_expiration_status = '0';
  out.advisory_ids = s.evaluation.advisoryIds;
  return out;
}
