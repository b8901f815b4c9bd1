/**
 * The Attestation Service, in process and usable on its own (reference/trustee.md §1.11, §3.2–3.4):
 * each piece of evidence goes verifier → claims → appraisal policy (`<policy id>_<tee class>`) →
 * EAR submod; the submods are signed into one EAR token.
 * @module
 */
import { PolicyDenied, Unsupported, type CheckRecord, type HashAlgorithm } from '../../core/index.js';
import {
  EAR_ISSUER_DEFAULT,
  EAR_PROFILE,
  TRUST_CLAIMS,
  runtimeDataDigest,
  statusOf,
  type InitDataBody,
  type Tee,
  type TrustVector,
} from '../../protocol/index.js';
import { createVerifier, type Verifier, type VerifierEnv } from '../../verifier/index.js';
import { withCheck } from '../check-tag.js';
import type { EarSigner, SignOptions } from './ear-token.js';
import { parseInitDataBody } from './init-data.js';
import type { PolicyStore } from './policy.js';
import type { ReferenceValues } from '../rvps/reference-values.js';
import { appraise } from './appraisal.js';
import type { ClaimExplanation } from './explain.js';

/** One piece of evidence to verify. */
export interface EvidenceItem {
  tee: Tee;
  evidence: unknown;
  /** The runtime-data JSON object whose digest the evidence must carry; absent = not checked. */
  runtimeData?: Record<string, unknown>;
  /**
   * Or: bytes the evidence's report-data field must carry as they are (upstream's "raw" runtime data,
   * gRPC `raw_runtime_data`); they leave no `runtime_data_claims`.
   */
  rawRuntimeData?: Uint8Array;
  hashAlgorithm: HashAlgorithm;
  initData?: InitDataBody;
  /** Or: the init-data digest itself (gRPC `init_data_digest`); it leaves no `init_data_claims`. */
  initDataDigest?: Uint8Array;
}

/** Explanations kept per attestation (audit records stay small however many devices attest). */
const MAX_EXPLANATIONS = 32;

export interface AttestationOutcome {
  token: string;
  claims: Record<string, unknown>;
  /** Checks run by the verifiers, in order. */
  checks: CheckRecord[];
  /** Things an auditor should know, e.g. reference values withheld because they expired. */
  notes: string[];
  /** Per lowered trust claim of each submod, the failing policy expression (empty when affirming). */
  explanations: ClaimExplanation[];
}

export interface AttestationServiceOptions {
  policies: PolicyStore;
  /** The built-in RVPS, or a remote one (`grpc/remote-rvps.ts`), whose snapshots may be partial. */
  rvps: Pick<ReferenceValues, 'snapshot'>;
  signer: EarSigner;
  verifierEnv?: VerifierEnv;
  /** Replace the verifier registry (tests, or extra TEEs). */
  verifierFor?: (tee: Tee) => Verifier;
  tokenLifetimeSeconds?: number;
  issuer?: string;
  developer?: string;
  build?: string;
  /** When false, `additional-evidence` is dropped from `runtime_data_claims` (smaller tokens). */
  verboseToken?: boolean;
}

/**
 * A claim of ours beside upstream's EAR layout: the id of the KBS attest request that produced the
 * token, so that the audit record of a later refused release names that request, whichever replica
 * (or process, before or after a restart) handled it. Consumers that do not know it ignore it.
 */
export const ATTEST_REQUEST_CLAIM = 'coco.attest-request-id';

/** The attest request id a token's claims name (`ATTEST_REQUEST_CLAIM`), if any. */
export function attestRequestIdOf(claims: Readonly<Record<string, unknown>>): string | undefined {
  const id = claims[ATTEST_REQUEST_CLAIM];
  return typeof id === 'string' ? id : undefined;
}

export interface EvaluateOptions extends SignOptions {
  /** The KBS request id of the attestation, written into the token as `ATTEST_REQUEST_CLAIM`. */
  requestId?: string;
}

export class AttestationService {
  private readonly verifiers = new Map<Tee, Verifier>();
  private readonly options: AttestationServiceOptions;
  constructor(options: AttestationServiceOptions) {
    this.options = options;
  }

  private verifier(tee: Tee): Verifier {
    let v = this.verifiers.get(tee);
    if (!v) {
      try {
        v = this.options.verifierFor ? this.options.verifierFor(tee) : createVerifier(tee, this.options.verifierEnv ?? {});
      } catch (err) {
        throw withCheck(err instanceof Error ? err : new Unsupported(String(err)), 'as.tee.unsupported');
      }
      this.verifiers.set(tee, v);
    }
    return v;
  }

  /** Verify and appraise every item, then sign one EAR token. */
  /** `options.releaseTo`: the TEE key, for a release prepared with the token (`EarSigner.sign`). */
  async evaluate(items: readonly EvidenceItem[], policyIds: readonly string[], now: Date, options?: EvaluateOptions): Promise<AttestationOutcome> {
    const policyId = policyIds[0] ?? 'default';
    const rv = await this.options.rvps.snapshot(now.getTime());
    const checks: CheckRecord[] = [];
    const notes = new Set<string>();
    const submods: Record<string, unknown> = {};
    const perClass = new Map<string, number>();
    const explanations: ClaimExplanation[] = [];
    for (const item of items) {
      const verifier = this.verifier(item.tee);
      let init: ReturnType<typeof parseInitDataBody> | undefined;
      try {
        init = item.initData ? parseInitDataBody(item.initData) : undefined;
      } catch (err) {
        throw withCheck(err as Error, 'as.init_data');
      }
      const expected: { reportData?: Uint8Array; initDataDigest?: Uint8Array } = {};
      if (item.runtimeData) expected.reportData = runtimeDataDigest(item.runtimeData, item.hashAlgorithm);
      else if (item.rawRuntimeData) expected.reportData = item.rawRuntimeData;
      if (init) expected.initDataDigest = init.digest;
      else if (item.initDataDigest) expected.initDataDigest = item.initDataDigest;
      const result = await verifier.evaluate(item.evidence, expected, now);
      checks.push(...result.checks);
      const input = annotate(item, result.claims, init?.claims, this.options.verboseToken ?? true);
      const appraisal = await appraise(this.options.policies, `${policyId}_${result.teeClass}`, input, rv, (n) => notes.add(n));
      const index = perClass.get(result.teeClass) ?? 0;
      perClass.set(result.teeClass, index + 1);
      for (const e of appraisal.explanations ?? []) {
        if (explanations.length < MAX_EXPLANATIONS) explanations.push({ submod: `${result.teeClass}${index}`, ...e });
      }
      submods[`${result.teeClass}${index}`] = {
        'ear.status': statusOf(appraisal.vector),
        'ear.trustworthiness-vector': fullVector(appraisal.vector),
        'ear.appraisal-policy-id': policyId,
        ...appraisal.extensions,
        'ear.veraison.annotated-evidence': input,
      };
    }
    if (items.length === 0) throw new PolicyDenied('no evidence to appraise', { rule: 'as.evidence.empty' });
    const iat = Math.floor(now.getTime() / 1000);
    const claims: Record<string, unknown> = {
      eat_profile: EAR_PROFILE,
      iat,
      exp: iat + (this.options.tokenLifetimeSeconds ?? 300),
      iss: this.options.issuer ?? EAR_ISSUER_DEFAULT,
      'ear.verifier-id': { developer: this.options.developer ?? 'https://confidentialcontainers.org', build: this.options.build ?? 'coco-ts 0.1.0' },
      submods,
    };
    if (options?.requestId !== undefined) claims[ATTEST_REQUEST_CLAIM] = options.requestId;
    return { token: await this.options.signer.sign(claims, options), claims, checks, notes: [...notes], explanations };
  }
}

/** The policy input / annotated evidence of one item (reference/trustee.md §3.3). */
function annotate(item: EvidenceItem, claims: Record<string, unknown>, initClaims: Record<string, unknown> | undefined, verbose: boolean): Record<string, unknown> {
  const { report_data: reportData, init_data: initData, ...teeClaims } = claims;
  const out: Record<string, unknown> = { [item.tee]: teeClaims };
  if (reportData !== undefined) {
    out.report_data = reportData;
    const rd = { ...(item.runtimeData ?? {}) };
    if (!verbose) delete rd['additional-evidence'];
    out.runtime_data_claims = rd;
  }
  if (initData !== undefined) {
    out.init_data = initData;
    out.init_data_claims = initClaims ?? null;
  }
  return out;
}

function fullVector(v: TrustVector): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of TRUST_CLAIMS) out[c] = v[c] ?? 0;
  return out;
}
