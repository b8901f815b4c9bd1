/**
 * Trustee: KBS HTTP API, sessions, Attestation Service (EAR tokens), RVPS, resource repository.
 * @module
 */
export { createTrustee, listen } from './server.js';
export type { Trustee, TrusteeOptions } from './server.js';
export { serveSettingsFromConfig } from './options.js';
export type { ServeSettings } from './options.js';
export { loadPolicyEngine } from './rego-engine.js';
export type { PolicyEngine, CompiledPolicy, HostBuiltins } from './as/policy-engine.js';
export { AttestationService } from './as/attestation-service.js';
export type { EvidenceItem, AttestationOutcome } from './as/attestation-service.js';
export { createEarSigner, signerJwks } from './as/ear-token.js';
export { TokenVerifier, endorseHeaderJwk } from './as/token-verifier.js';
export { insecureAllowAllAdmin, denyAllAdmin } from './kbs/admin-hooks.js';
export type { AdminHooks, AdminIdentity } from './kbs/admin-hooks.js';
export { bearerKeyAdmin } from './kbs/bearer-key-admin.js';
export { noMetrics } from './kbs/metrics-hooks.js';
export type { MetricsHooks } from './kbs/metrics-hooks.js';
export type { AuditRecord } from './kbs/audit.js';
export { MemoryStore } from './storage/memory.js';
export type { KvStore } from './storage/kv.js';
export type { Listening } from './http/adapter.js';
