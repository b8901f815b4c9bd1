/**
 * Our Attestation Service and RVPS behind upstream's gRPC interface (`protocol/as-grpc.ts`), so that
 * a KBS — ours in `coco_as_grpc` mode, or upstream's — can use them from another process.
 *
 * - `AttestationEvaluate`: each `IndividualAttestationRequest` becomes one evidence item; the
 *   evidence is base64url (no padding) of its JSON; structured runtime data is a JSON object, raw
 *   runtime data base64url bytes the report data must equal; `init_data_toml` is checked and shown
 *   as upstream does, `init_data_digest` (base64url) only compared. No policy id means `default`.
 * - `SetAttestationPolicy`: the policy is base64url (no padding) of the Rego text.
 * - `GetAttestationChallenge`: needs `inner.tee` and `inner.tee_params`; none of our verifiers has a
 *   supplemental challenge, so the answer is empty for every TEE we verify (as upstream's default).
 * - `QueryReferenceValue` / `RegisterReferenceValue`: the RVPS (JSON strings on the wire); an expired
 *   value is answered as absent, so a KBS using this RVPS remotely withholds it as the built-in one does.
 *
 * Upstream answers every failure with ABORTED; we answer by cause (INVALID_ARGUMENT for input that
 * does not parse, PERMISSION_DENIED for evidence that fails a check, NOT_FOUND, ... see
 * `errors.ts` `statusOf`), with the same message texts our KBS would give.
 * @module
 */
import { MalformedInput, NotFound, expectObject, fromBase64Url, fromUtf8, parseJsonText, type HashAlgorithm } from '../../core/index.js';
import {
  AS_METHODS,
  HEALTH_CHECK_PATH,
  HEALTH_CHECK_REQUEST,
  HEALTH_CHECK_RESPONSE,
  HEALTH_STATUS,
  ATTESTATION_REQUEST,
  ATTESTATION_RESPONSE,
  CHALLENGE_REQUEST,
  CHALLENGE_RESPONSE,
  REFERENCE_VALUE_QUERY_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  REFERENCE_VALUE_REGISTER_REQUEST,
  REFERENCE_VALUE_REGISTER_RESPONSE,
  SET_POLICY_REQUEST,
  SET_POLICY_RESPONSE,
  parseTee,
  type ProtoMessage,
} from '../../protocol/index.js';
import type { AttestationService, EvidenceItem } from '../as/attestation-service.js';
import { decodePolicyText, parsePolicyId, type PolicyStore } from '../as/policy.js';
import { parseRvpsMessage, type ReferenceValues } from '../rvps/reference-values.js';
import { type UnaryMethod } from './server.js';

export interface AsServiceDeps {
  as: Pick<AttestationService, 'evaluate'>;
  policies: Pick<PolicyStore, 'set'>;
  rvps: Pick<ReferenceValues, 'register' | 'live'>;
  /** TEEs the service verifies (answered by `GetAttestationChallenge`). */
  tees: ReadonlySet<string>;
  now: () => Date;
}

const HASHES = new Set<string>(['sha256', 'sha384', 'sha512']);

function base64UrlText(v: string, where: string): Uint8Array {
  if (v.includes('=')) throw new MalformedInput(`${where}: expected base64url without padding`, { where });
  return fromBase64Url(v, where);
}

function jsonOf(text: string, where: string): unknown {
  return parseJsonText(text, where);
}

/** One `IndividualAttestationRequest` as an evidence item (`where` names it in errors). */
export function evidenceItemOf(r: ProtoMessage, where: string): EvidenceItem {
  const tee = parseTee(r.tee, `${where}.tee`);
  const algorithm = (r.runtime_data_hash_algorithm as string) || 'sha384';
  if (!HASHES.has(algorithm)) throw new MalformedInput(`${where}.runtime_data_hash_algorithm: expected sha256, sha384 or sha512, got ${JSON.stringify(algorithm)}`, { where: `${where}.runtime_data_hash_algorithm` });
  const item: EvidenceItem = {
    tee,
    evidence: jsonOf(fromUtf8(base64UrlText(r.evidence as string, `${where}.evidence`), `${where}.evidence`), `${where}.evidence`),
    hashAlgorithm: algorithm as HashAlgorithm,
  };
  if (r.structured_runtime_data !== undefined) {
    item.runtimeData = expectObject(jsonOf(r.structured_runtime_data as string, `${where}.structured_runtime_data`), `${where}.structured_runtime_data`);
  } else if (r.raw_runtime_data !== undefined) {
    item.rawRuntimeData = base64UrlText(r.raw_runtime_data as string, `${where}.raw_runtime_data`);
  }
  if (r.init_data_toml !== undefined) item.initData = { format: 'toml', body: r.init_data_toml as string };
  else if (r.init_data_digest !== undefined) item.initDataDigest = base64UrlText(r.init_data_digest as string, `${where}.init_data_digest`);
  return item;
}

/**
 * `grpc.health.v1.Health/Check`: SERVING for the server as a whole (`service` empty) and for each
 * service named here; NOT_FOUND for any other service, as the health protocol asks.
 */
export function healthCheckMethod(services: readonly string[]): UnaryMethod {
  const known = new Set(['', ...services]);
  return {
    path: HEALTH_CHECK_PATH,
    request: HEALTH_CHECK_REQUEST,
    response: HEALTH_CHECK_RESPONSE,
    async handle(req) {
      if (!known.has(req.service as string)) throw new NotFound(`unknown service ${JSON.stringify(req.service)}`);
      return { status: HEALTH_STATUS.SERVING };
    },
  };
}

/** The services `asServiceMethods` implements (for the health check). */
export const AS_SERVICE_NAMES = ['attestation.AttestationService', 'reference.ReferenceValueProviderService'] as const;

/** The five unary methods, ready for `serveGrpc`. */
export function asServiceMethods(deps: AsServiceDeps): UnaryMethod[] {
  return [
    {
      path: AS_METHODS.attestationEvaluate,
      request: ATTESTATION_REQUEST,
      response: ATTESTATION_RESPONSE,
      async handle(req) {
        const requests = req.verification_requests as ProtoMessage[];
        if (requests.length === 0) throw new MalformedInput('verification_requests is empty', { where: 'verification_requests' });
        const items = requests.map((r, i) => evidenceItemOf(r, `verification_requests[${i}]`));
        const policyIds = req.policy_ids as string[];
        const outcome = await deps.as.evaluate(items, policyIds.length > 0 ? policyIds : ['default'], deps.now());
        return { attestation_token: outcome.token };
      },
    },
    {
      path: AS_METHODS.setAttestationPolicy,
      request: SET_POLICY_REQUEST,
      response: SET_POLICY_RESPONSE,
      async handle(req) {
        await deps.policies.set(parsePolicyId(req.policy_id as string), decodePolicyText(req.policy, 'policy'));
        return {};
      },
    },
    {
      path: AS_METHODS.getAttestationChallenge,
      request: CHALLENGE_REQUEST,
      response: CHALLENGE_RESPONSE,
      async handle(req) {
        const inner = req.inner as Record<string, string>;
        if (inner.tee === undefined) throw new MalformedInput('inner.tee is missing', { where: 'inner.tee' });
        if (inner.tee_params === undefined) throw new MalformedInput('inner.tee_params is missing', { where: 'inner.tee_params' });
        const tee = parseTee(inner.tee, 'inner.tee');
        if (!deps.tees.has(tee)) throw new MalformedInput(`inner.tee: ${tee} is not verified here`, { where: 'inner.tee' });
        return { attestation_challenge: '' };
      },
    },
    {
      path: AS_METHODS.queryReferenceValue,
      request: REFERENCE_VALUE_QUERY_REQUEST,
      response: REFERENCE_VALUE_QUERY_RESPONSE,
      async handle(req) {
        // Only live values, as policies see them: a record past its expiration is absent here.
        const value = await deps.rvps.live(req.reference_value_id as string, deps.now().getTime());
        return { reference_value_results: value === undefined ? undefined : JSON.stringify(value) };
      },
    },
    {
      path: AS_METHODS.registerReferenceValue,
      request: REFERENCE_VALUE_REGISTER_REQUEST,
      response: REFERENCE_VALUE_REGISTER_RESPONSE,
      async handle(req) {
        await deps.rvps.register(parseRvpsMessage(jsonOf(req.message as string, 'message')), deps.now().getTime());
        return {};
      },
    },
  ];
}
