/**
 * The guest stack: attesters, the KBS client, the confidential data hub, the in-guest REST API,
 * and the init-container / serve modes.
 * @module
 */
export type { Attester, BindResult } from './attester/attester.js';
export { ATTESTER_NAMES, ATTESTERS, createAttester, parseAttesterName } from './attester/registry.js';
export type { AttesterEnv, AttesterName } from './attester/registry.js';
export { detectAttester } from './attester/detect.js';
export { KbsClient } from './kbs-client/client.js';
export type { KbsClientOptions } from './kbs-client/client.js';
export { nodeFetch } from './kbs-client/http.js';
export type { FetchLike } from './kbs-client/http.js';
export { DEFAULT_RETRY, instantRetry } from './kbs-client/retry.js';
export type { RetryPolicy } from './kbs-client/retry.js';
export { getResourceWithToken, kbsTokenJson } from './kbs-client/token.js';
export { ConfidentialDataHub, writeFileAtomic } from './cdh/resource.js';
export { unsealSecret } from './cdh/sealed-secret.js';
export { handleGuestApi } from './api-server/routes.js';
export type { GuestApiBackend, ApiRequest, ApiResponse } from './api-server/routes.js';
export { listenGuestApi } from './api-server/server.js';
export { RuntimeMeasurer, aaelEntry, aaelEventData } from './aael.js';
export { loadGuestConfig } from './config.js';
export type { GuestConfig, GuestSettings } from './config.js';
export { startGuest, GUEST_VERSION } from './agent.js';
export type { Guest, GuestDeps } from './agent.js';
export { runGuestFetch } from './fetch.js';
export { runGuestServe } from './serve.js';

export { fetchModel, resourceGetterFromApi } from './model-fetch.js';
export type { ModelFetchOptions, ModelFetchResult, ResourceGetter } from './model-fetch.js';
