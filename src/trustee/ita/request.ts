/**
 * What the KBS sends Intel Trust Authority (ITA) and what it answers `/auth` with when ITA is the
 * attestation service (`[attestation_service] type = "intel_ta"`, upstream
 * `kbs/src/attestation/intel_trust_authority`). Pure functions: the HTTP exchange is in `client.ts`.
 *
 * The appraisal request (`POST {base_url}/appraisal/v2/attest`, `/appraisal/v2/attest/azure` for
 * Azure TDX vTPM) carries the policy choice and one member per evidence kind:
 * - `tdx` / `sgx`: `{quote, runtime_data, event_log?}` from the guest's `{quote, cc_eventlog}`, with
 *   `runtime_data` = standard base64 of the runtime-data JSON text whose hash the quote's report data holds;
 * - `az-tdx-vtpm`: `tdx: {quote: td_quote, runtime_data: HCL variable data, user_data: runtime-data JSON}`;
 * - `nvidia` (a device): `nvgpu: {gpu_nonce, arch, evidence_list}` for Hopper and Blackwell GPUs only,
 *   `gpu_nonce` = hex of the first 32 bytes of SHA-512(runtime-data JSON).
 * The runtime-data JSON text is RFC 8785 canonical, i.e. exactly what the attester hashed.
 *
 * `/auth`: ITA fixes the runtime-data hash per TEE (SHA-512 for TDX, SHA-256 for SGX and Azure TDX
 * vTPM) and says so in the challenge's `extra-params` as `{"selected-hash-algorithm": ...}` when the
 * guest listed `supported-hash-algorithms`; a guest that listed none gets `""` and hashes as it likes.
 * @module
 */
import { MalformedInput, Unsupported, canonicalize, digest, expectObject, expectString, optionalString, toBase64, toHex, type HashAlgorithm } from '../../core/index.js';
import type { Tee } from '../../protocol/index.js';
import { parseAzTdxVtpmEvidence, parseHclReport, parseTdxEvidence } from '../../verifier/index.js';
import type { EvidenceItem } from '../as/attestation-service.js';
import { withCheck } from '../check-tag.js';

/** `base_url` checked: an absolute https URL, without query, fragment or credentials; returned without a trailing `/`. */
export function itaBaseUrl(value: string): string {
  // A value that may carry credentials is not repeated in errors.
  const shown = value.includes('@') ? 'the value (not shown: it may hold credentials)' : JSON.stringify(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MalformedInput(`${shown} is not an absolute URL (expected https://host[:port][/path])`, { where: 'base_url' });
  }
  if (url.username || url.password) throw new MalformedInput('base_url must not carry credentials (the API key goes in api_key)', { where: 'base_url' });
  if (url.protocol !== 'https:') throw new MalformedInput(`${shown}: only https:// is accepted (the API key is sent with every request)`, { where: 'base_url' });
  if (url.search || url.hash) throw new MalformedInput(`${shown}: no query or fragment in base_url`, { where: 'base_url' });
  return url.href.replace(/\/+$/, '');
}

/** The TEEs ITA appraises (`nvidia` only as a device next to TDX evidence). */
export const ITA_TEES: readonly Tee[] = ['tdx', 'sgx', 'az-tdx-vtpm', 'nvidia'];

/** Path of the appraisal endpoint below `base_url`. */
export const ITA_ATTEST_PATH = '/appraisal/v2/attest';
/** Appended to `ITA_ATTEST_PATH` for Azure TDX vTPM evidence. */
export const ITA_AZURE_SUFFIX = '/azure';

/** GPU architectures ITA accepts; other devices (e.g. NVSwitch `LS10`) are left out of the request. */
const ITA_GPU_ARCHS = new Set(['HOPPER', 'BLACKWELL']);

export interface ItaQuoteEvidence {
  quote: string;
  runtime_data: string;
  user_data?: string;
  event_log?: string;
}

export interface ItaGpuRequest {
  gpu_nonce: string;
  arch: string;
  evidence_list: Array<{ evidence: string; certificate: string }>;
}

export interface ItaAttestRequest {
  policy_ids: string[];
  policy_must_match: boolean;
  tdx?: ItaQuoteEvidence;
  sgx?: ItaQuoteEvidence;
  nvgpu?: ItaGpuRequest;
}

export interface ItaPolicyChoice {
  /** ITA policy ids (`attestation_service.policy_ids`). */
  policyIds: readonly string[];
  /** `allow_unmatched_policy`: issue a token even when a listed policy does not match. */
  allowUnmatchedPolicy: boolean;
}

/** The request body and the URL path below `base_url`. */
export interface ItaRequestPlan {
  body: ItaAttestRequest;
  path: string;
  /** Devices left out (unsupported GPU architectures), for the audit record. */
  skipped: string[];
}

const bad = (message: string, where: string): MalformedInput => new MalformedInput(message, { where });

/** The exact runtime-data text the attester hashed (its canonical JSON). */
function runtimeDataText(item: EvidenceItem): string {
  if (!item.runtimeData) throw withCheck(new Unsupported('Intel Trust Authority needs structured runtime data (raw runtime data cannot be forwarded)'), 'as.ita.evidence');
  return canonicalize(item.runtimeData);
}

/** `{quote, cc_eventlog}` of a TDX or SGX guest as ITA wants it. */
function quoteEvidence(evidence: unknown, runtimeData: string, tee: Tee): ItaQuoteEvidence {
  // Checked as the TDX verifier checks it (SGX evidence has the same shape), then forwarded as given.
  parseTdxEvidence(evidence);
  const o = evidence as Record<string, unknown>;
  const quote = o.quote as string;
  const out: ItaQuoteEvidence = { quote, runtime_data: toBase64(Buffer.from(runtimeData, 'utf8')) };
  const userData = optionalString(o.user_data, `${tee} evidence.user_data`);
  if (userData) out.user_data = userData;
  const log = optionalString(o.cc_eventlog, `${tee} evidence.cc_eventlog`);
  if (log) out.event_log = log;
  return out;
}

/** Azure TDX vTPM: the TD quote, the HCL variable data (which the TD report binds) and the runtime data. */
function azureEvidence(evidence: unknown, runtimeData: string): ItaQuoteEvidence {
  const ev = parseAzTdxVtpmEvidence(evidence);
  const hcl = parseHclReport(ev.hclReport);
  if (hcl.reportType !== 'tdx') throw bad('the HCL report holds an SNP report, not a TD report', 'az-tdx-vtpm.hcl_report');
  return { quote: toBase64(ev.tdQuote), runtime_data: toBase64(hcl.varData), user_data: toBase64(Buffer.from(runtimeData, 'utf8')) };
}

/** NVIDIA device evidence `{device_evidence_list: [{evidence, certificate, arch}]}`; undefined when no GPU ITA accepts is left. */
function gpuEvidence(evidence: unknown, runtimeData: string, skipped: string[]): ItaGpuRequest | undefined {
  const o = expectObject(evidence, 'nvidia evidence');
  const list = o.device_evidence_list;
  if (!Array.isArray(list)) throw bad('device_evidence_list is not an array', 'nvidia.device_evidence_list');
  const devices = list.map((d, i) => {
    const e = expectObject(d, `nvidia evidence.device_evidence_list[${i}]`);
    const at = `nvidia evidence.device_evidence_list[${i}]`;
    return { evidence: expectString(e.evidence, `${at}.evidence`), certificate: expectString(e.certificate, `${at}.certificate`), arch: expectString(e.arch, `${at}.arch`) };
  });
  const kept = devices.filter((d) => {
    if (ITA_GPU_ARCHS.has(d.arch)) return true;
    skipped.push(`nvidia device of architecture ${JSON.stringify(d.arch)} (Intel Trust Authority appraises HOPPER and BLACKWELL GPUs only)`);
    return false;
  });
  if (kept.length === 0) return undefined;
  return {
    gpu_nonce: toHex(digest('sha512', runtimeData).subarray(0, 32)),
    arch: kept[0]!.arch,
    evidence_list: kept.map((d) => ({ evidence: d.evidence, certificate: d.certificate })),
  };
}

/**
 * The appraisal request for the evidence of one attestation. Throws `Unsupported` for a TEE ITA does
 * not appraise or when nothing is left to send, and `MalformedInput` for evidence that is not of its
 * TEE's shape (check `as.ita.evidence`).
 */
export function buildItaRequest(items: readonly EvidenceItem[], choice: ItaPolicyChoice): ItaRequestPlan {
  const body: ItaAttestRequest = {
    policy_ids: [...choice.policyIds],
    // As upstream: matching is demanded only when there are policies and unmatched ones are not allowed.
    policy_must_match: choice.policyIds.length > 0 && !choice.allowUnmatchedPolicy,
  };
  let path = ITA_ATTEST_PATH;
  const skipped: string[] = [];
  for (const item of items) {
    const text = runtimeDataText(item);
    try {
      switch (item.tee) {
        case 'tdx':
        case 'sgx':
          body[item.tee] = quoteEvidence(item.evidence, text, item.tee);
          break;
        case 'az-tdx-vtpm':
          body.tdx = azureEvidence(item.evidence, text);
          path = ITA_ATTEST_PATH + ITA_AZURE_SUFFIX;
          break;
        case 'nvidia': {
          const gpu = gpuEvidence(item.evidence, text, skipped);
          if (gpu) body.nvgpu = gpu;
          break;
        }
        default:
          throw withCheck(new Unsupported(`Intel Trust Authority does not appraise ${item.tee} evidence (it takes ${ITA_TEES.join(', ')})`), 'as.tee.unsupported');
      }
    } catch (err) {
      if (err instanceof MalformedInput) {
        const where = err.where ?? item.tee;
        throw withCheck(new MalformedInput(`${item.tee} evidence for Intel Trust Authority: ${err.message} (at ${where})`, { where, cause: err }), 'as.ita.evidence');
      }
      throw err;
    }
  }
  if (body.tdx === undefined && body.sgx === undefined && body.nvgpu === undefined) {
    throw withCheck(new Unsupported('no evidence left that Intel Trust Authority appraises'), 'as.ita.evidence');
  }
  return { body, path, skipped };
}

/** The runtime-data hash ITA requires of each TEE. */
const ITA_HASH: Partial<Record<Tee, HashAlgorithm>> = { tdx: 'sha512', sgx: 'sha256', 'az-tdx-vtpm': 'sha256' };

/**
 * The challenge `extra-params` for an `/auth` request's `extra-params`: `""` when the guest offered no
 * `supported-hash-algorithms` (it then hashes as before), else `{"selected-hash-algorithm": <alg>}`
 * with the algorithm ITA requires of the TEE. Throws `Unsupported` (check `kbs.auth.hash_algorithm`)
 * when the guest does not offer it, or offers none, or the TEE is not one ITA appraises.
 */
export function itaChallengeParams(tee: Tee, params: unknown): unknown {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return '';
  const offered = (params as Record<string, unknown>)['supported-hash-algorithms'];
  if (offered === undefined) return '';
  const fail = (message: string) => withCheck(new Unsupported(message), 'kbs.auth.hash_algorithm');
  if (!Array.isArray(offered)) throw withCheck(new MalformedInput('extra-params.supported-hash-algorithms is not an array', { where: 'extra-params' }), 'kbs.request.malformed');
  const names = offered.filter((a): a is string => typeof a === 'string').map((a) => a.toLowerCase());
  if (names.length === 0) throw fail('the TEE offers no runtime-data hash algorithm (supported-hash-algorithms is empty)');
  const needed = ITA_HASH[tee];
  if (!needed) throw fail(`Intel Trust Authority does not appraise ${tee} evidence as primary evidence`);
  if (!names.includes(needed)) throw fail(`Intel Trust Authority needs ${needed} runtime data for ${tee}; the TEE offers ${names.join(', ')}`);
  return { 'selected-hash-algorithm': needed };
}
