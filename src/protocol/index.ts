/**
 * Protocol: wire vocabulary shared by the guest and Trustee (our `kbs-types`).
 * @module
 */
export { TEES, isTee, parseTee, teeClassOf } from './tee.js';
export type { Tee, TeeClass } from './tee.js';
export {
  KBS_PROTOCOL_VERSION,
  parseAuthRequest,
  parseTeePubKey,
  parseAttestationRequest,
  parseAdditionalEvidence,
  runtimeDataHashAlgorithm,
  primaryRuntimeData,
  deviceRuntimeData,
  runtimeDataDigest,
} from './rcar.js';
export type {
  AuthRequest,
  Challenge,
  TeePubKey,
  RuntimeData,
  InitDataBody,
  CompositeEvidence,
  AttestationRequest,
  AttestResponse,
  JweResponse,
} from './rcar.js';
export { KBS_ERROR_TYPE_PREFIX, errorInformation, errorVariantOf } from './error-info.js';
export type { ErrorInformation, KbsErrorVariant } from './error-info.js';
export { parseResourcePath, formatResourcePath, parseResourceUri, formatResourceUri } from './resource-uri.js';
export type { ResourcePath, ResourceUri } from './resource-uri.js';
export {
  INITDATA_ANNOTATION,
  INITDATA_VERSION,
  parseInitData,
  initDataDigest,
  initDataHardwareValues,
  pcr8AfterInitData,
  encodeInitDataAnnotation,
  decodeInitDataAnnotation,
} from './initdata.js';
export type { InitData } from './initdata.js';
export { EAR_PROFILE, EAR_ISSUER_DEFAULT, TRUST_CLAIMS, TEE_PUBKEY_PATHS, tierOf, statusOf, resolvePointer } from './ear.js';
export type { TrustClaim, TrustVector, EarStatus } from './ear.js';
export {
  SEALED_PREFIX,
  SEALED_SECRET_VERSION,
  SEALED_SECRET_KEY_DIR,
  parseSecretPayload,
  secretPayloadJson,
  parseSealedSecret,
  parseUnsignedSealedSecret,
  parseSigningJwk,
  verifySealedSecret,
  signingKeyFromJwk,
  signSealedSecret,
} from './sealed-secret.js';
export type { SecretPayload, VaultSecret, EnvelopeSecret, EnvelopeWrapType, SealedSecret, SealedSecretHeader } from './sealed-secret.js';
export { encryptEnvelopeData, decryptEnvelopeData, wrapDataKey, unwrapDataKey, createKbsEnvelope, openEnvelope } from './sealed-envelope.js';
export { encodeMessage, decodeMessage } from './protobuf.js';
export type { MessageSchema, FieldSpec, ProtoMessage, ScalarType } from './protobuf.js';
export {
  GrpcStatus,
  grpcStatusName,
  DEFAULT_MAX_MESSAGE_BYTES,
  frameMessage,
  unframeMessage,
  encodeGrpcMessage,
  decodeGrpcMessage,
  parseGrpcTimeout,
  formatGrpcTimeout,
} from './grpc.js';
export type { GrpcStatusCode } from './grpc.js';
export {
  AS_METHODS,
  ATTESTATION_REQUEST,
  ATTESTATION_RESPONSE,
  INDIVIDUAL_ATTESTATION_REQUEST,
  SET_POLICY_REQUEST,
  SET_POLICY_RESPONSE,
  CHALLENGE_REQUEST,
  CHALLENGE_RESPONSE,
  REFERENCE_VALUE_QUERY_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  REFERENCE_VALUE_REGISTER_REQUEST,
  REFERENCE_VALUE_REGISTER_RESPONSE,
  HEALTH_CHECK_REQUEST,
  HEALTH_CHECK_RESPONSE,
  HEALTH_STATUS,
  HEALTH_CHECK_PATH,
} from './as-grpc.js';
export {
  PLUGIN_REQUEST,
  PLUGIN_RESPONSE,
  VALIDATE_AUTH_REQUEST,
  VALIDATE_AUTH_RESPONSE,
  NEEDS_ENCRYPTION_REQUEST,
  NEEDS_ENCRYPTION_RESPONSE,
  KBS_PLUGIN_METHODS,
} from './kbs-plugin-grpc.js';
export { ChunkedDecoder, Http1Error, MAX_HEAD_BYTES, MAX_HEADERS, findHeadEnd, httpDateFormatter, parseRequestHead, responseHead, statusHasNoBody } from './http1.js';
export type { BodyFraming, RequestHead } from './http1.js';
