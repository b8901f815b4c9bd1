/**
 * Guest: programs that run inside the pod VM.
 * @module
 */
export { fetchModel, resourceGetterFromApi } from './model-fetch.js';
export type { ModelFetchOptions, ModelFetchResult, ResourceGetter } from './model-fetch.js';
