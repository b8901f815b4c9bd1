/**
 * The KBS side of `[attestation_service] type = "coco_as_grpc"`: the attestation service, its
 * policies and the RVPS live in another process (ours from `coco trustee serve-as`, or upstream's
 * `grpc-as`), reached over gRPC at `as_addr` (`protocol/as-grpc.ts`). Requests are built as upstream
 * KBS builds them: the evidence as base64url of its JSON, the runtime data structured (JSON), init
 * data as its TOML, policy ids as configured (`["default"]`), policies as base64url.
 *
 * Beyond upstream, the token the remote service returns is verified at once with the KBS's
 * `[attestation_token]` trust (certificates, JWK sets or `insecure_header_jwk`): a service whose key
 * the KBS does not trust fails the attestation with a check naming that, rather than every later
 * resource request. What the remote service cannot be asked (reading a policy back, listing
 * reference values) is `Unsupported`, naming the remote mode.
 * @module
 */
import { CocoError, MalformedInput, Unsupported, VerificationFailed, toBase64Url, utf8 } from '../../core/index.js';
import { AS_METHODS, ATTESTATION_REQUEST, ATTESTATION_RESPONSE, SET_POLICY_REQUEST, SET_POLICY_RESPONSE, type ProtoMessage } from '../../protocol/index.js';
import type { AttestationOutcome, EvidenceItem } from '../as/attestation-service.js';
import type { TokenVerifier } from '../as/token-verifier.js';
import { RemoteRvps } from './remote-rvps.js';
import { remoteFailure } from './errors.js';
import { GrpcClient, type GrpcClientTls } from './client.js';

/** `IndividualAttestationRequest` for one evidence item. */
export function individualRequestOf(item: EvidenceItem): ProtoMessage {
  const out: ProtoMessage = {
    tee: item.tee,
    evidence: toBase64Url(utf8(JSON.stringify(item.evidence))),
    runtime_data_hash_algorithm: item.hashAlgorithm,
  };
  if (item.runtimeData) out.structured_runtime_data = JSON.stringify(item.runtimeData);
  else if (item.rawRuntimeData) out.raw_runtime_data = toBase64Url(item.rawRuntimeData);
  if (item.initData) {
    if (item.initData.format !== 'toml') throw new MalformedInput(`init-data format ${JSON.stringify(item.initData.format)} is not supported (expected toml)`, { where: 'init-data.format' });
    out.init_data_toml = item.initData.body;
  } else if (item.initDataDigest) {
    out.init_data_digest = toBase64Url(item.initDataDigest);
  }
  return out;
}

export interface RemoteAsOptions {
  /** `as_addr`, e.g. `http://127.0.0.1:50004`. */
  address: string;
  /** Per-call deadline, ms (upstream: 300 s). */
  timeoutMs?: number;
  /** For an `https://` address: a CA to trust and a client certificate (mutual TLS). */
  tls?: GrpcClientTls;
}

/** The remote attestation service, its policies and its RVPS, over one gRPC client. */
export class RemoteAttestationService {
  readonly client: GrpcClient;
  private readonly tokens: TokenVerifier;

  constructor(options: RemoteAsOptions, tokens: TokenVerifier) {
    this.client = new GrpcClient(options.address, { ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), ...(options.tls ? { tls: options.tls } : {}) });
    this.tokens = tokens;
    this.rvps = new RemoteRvps(this.client);
  }

  /** `AttestationEvaluate`, then the token verified with the KBS's token trust. */
  async evaluate(items: readonly EvidenceItem[], policyIds: readonly string[], now: Date): Promise<AttestationOutcome> {
    const request = { verification_requests: items.map(individualRequestOf), policy_ids: [...policyIds] };
    let token: string;
    try {
      token = (await this.client.unary(AS_METHODS.attestationEvaluate, ATTESTATION_REQUEST, request, ATTESTATION_RESPONSE)).attestation_token as string;
    } catch (err) {
      throw remoteFailure(err, 'the remote attestation service refused the evidence', 'as.remote');
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.tokens.verifyAsync(token, now);
    } catch (err) {
      const why = err instanceof CocoError ? err.message : String(err);
      throw new VerificationFailed('as.remote.token', `the token from the remote attestation service does not verify with [attestation_token] trust: ${why}`);
    }
    return { token, claims, checks: [{ id: 'as.remote', ok: true, detail: `token from ${this.client.target}` }], notes: [], explanations: [] };
  }

  /** The remote service's attestation policies: set only. */
  readonly policies = {
    set: async (id: string, text: string): Promise<void> => {
      try {
        await this.client.unary(AS_METHODS.setAttestationPolicy, SET_POLICY_REQUEST, { policy_id: id, policy: toBase64Url(utf8(text)) }, SET_POLICY_RESPONSE);
      } catch (err) {
        throw remoteFailure(err, `the remote attestation service did not set policy ${id}`, 'as.remote.policy');
      }
    },
    text: async (id: string): Promise<string | undefined> => {
      throw new Unsupported(`attestation policy ${id} lives in the remote attestation service (coco_as_grpc), which has no call to read it back`);
    },
    list: async (): Promise<string[]> => {
      throw new Unsupported('attestation policies live in the remote attestation service (coco_as_grpc), which has no call to list them');
    },
  };

  /** The remote service's RVPS (the same address serves `reference.ReferenceValueProviderService`). */
  readonly rvps: RemoteRvps;

  close(): void {
    this.client.close();
  }
}
