/**
 * The gRPC interface of a stand-alone Attestation Service, as upstream Trustee defines it
 * (`protos/attestation.proto`, package `attestation`; `protos/reference.proto`, package `reference`;
 * reference/trustee.md §2.5): the message schemas for `protobuf.ts` and the method paths. Field
 * names and numbers are upstream's. The KBS in `coco_as_grpc` mode calls both services on the AS
 * address.
 * @module
 */
import type { MessageSchema } from './protobuf.js';

export const INDIVIDUAL_ATTESTATION_REQUEST: MessageSchema = {
  name: 'attestation.IndividualAttestationRequest',
  fields: [
    { no: 1, name: 'tee', type: 'string' },
    /** base64url (no padding) of the evidence JSON. */
    { no: 3, name: 'evidence', type: 'string' },
    /** base64url (no padding) of bytes hashed as they are. */
    { no: 4, name: 'raw_runtime_data', type: 'string', oneof: 'runtime_data' },
    /** A JSON object, hashed as its canonical (sorted, compact) serialisation. */
    { no: 5, name: 'structured_runtime_data', type: 'string', oneof: 'runtime_data' },
    { no: 6, name: 'init_data_digest', type: 'string', oneof: 'init_data' },
    { no: 7, name: 'init_data_toml', type: 'string', oneof: 'init_data' },
    /** `sha256`, `sha384` (the default when empty) or `sha512`. */
    { no: 8, name: 'runtime_data_hash_algorithm', type: 'string' },
  ],
};

export const ATTESTATION_REQUEST: MessageSchema = {
  name: 'attestation.AttestationRequest',
  fields: [
    { no: 1, name: 'verification_requests', type: 'message', message: INDIVIDUAL_ATTESTATION_REQUEST, repeated: true },
    { no: 2, name: 'policy_ids', type: 'string', repeated: true },
  ],
};

export const ATTESTATION_RESPONSE: MessageSchema = {
  name: 'attestation.AttestationResponse',
  fields: [{ no: 1, name: 'attestation_token', type: 'string' }],
};

export const SET_POLICY_REQUEST: MessageSchema = {
  name: 'attestation.SetPolicyRequest',
  fields: [
    { no: 1, name: 'policy_id', type: 'string' },
    /** base64url (no padding) of the Rego text, as the KBS admin API receives it. */
    { no: 2, name: 'policy', type: 'string' },
  ],
};

export const EMPTY_MESSAGE = (name: string): MessageSchema => ({ name, fields: [] });
export const SET_POLICY_RESPONSE = EMPTY_MESSAGE('attestation.SetPolicyResponse');

export const CHALLENGE_REQUEST: MessageSchema = {
  name: 'attestation.ChallengeRequest',
  fields: [{ no: 1, name: 'inner', type: 'map' }],
};

export const CHALLENGE_RESPONSE: MessageSchema = {
  name: 'attestation.ChallengeResponse',
  fields: [{ no: 1, name: 'attestation_challenge', type: 'string' }],
};

export const REFERENCE_VALUE_QUERY_REQUEST: MessageSchema = {
  name: 'reference.ReferenceValueQueryRequest',
  fields: [{ no: 1, name: 'reference_value_id', type: 'string' }],
};

export const REFERENCE_VALUE_QUERY_RESPONSE: MessageSchema = {
  name: 'reference.ReferenceValueQueryResponse',
  /** JSON of the reference value; absent when there is none. */
  fields: [{ no: 1, name: 'reference_value_results', type: 'string', optional: true }],
};

export const REFERENCE_VALUE_REGISTER_REQUEST: MessageSchema = {
  name: 'reference.ReferenceValueRegisterRequest',
  /** The RVPS message JSON (`{version, type, payload}`). */
  fields: [{ no: 1, name: 'message', type: 'string' }],
};

export const REFERENCE_VALUE_REGISTER_RESPONSE = EMPTY_MESSAGE('reference.ReferenceValueRegisterResponse');

/** The standard gRPC health service (`grpc.health.v1`), for probes; `status` is the ServingStatus enum. */
export const HEALTH_CHECK_REQUEST: MessageSchema = {
  name: 'grpc.health.v1.HealthCheckRequest',
  fields: [{ no: 1, name: 'service', type: 'string' }],
};
export const HEALTH_CHECK_RESPONSE: MessageSchema = {
  name: 'grpc.health.v1.HealthCheckResponse',
  fields: [{ no: 1, name: 'status', type: 'uint32' }],
};
/** `ServingStatus` values. */
export const HEALTH_STATUS = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** Method paths (`/package.Service/Method`). */
export const AS_METHODS = {
  attestationEvaluate: '/attestation.AttestationService/AttestationEvaluate',
  setAttestationPolicy: '/attestation.AttestationService/SetAttestationPolicy',
  getAttestationChallenge: '/attestation.AttestationService/GetAttestationChallenge',
  queryReferenceValue: '/reference.ReferenceValueProviderService/QueryReferenceValue',
  registerReferenceValue: '/reference.ReferenceValueProviderService/RegisterReferenceValue',
} as const;
