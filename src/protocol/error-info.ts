/**
 * KBS error body (`kbs_types::ErrorInformation`, reference/trustee.md §1.7).
 * @module
 */

export const KBS_ERROR_TYPE_PREFIX = 'https://github.com/confidential-containers/kbs/errors/';

/** Upstream error variant names; each becomes the last segment of `type`. */
export type KbsErrorVariant =
  | 'AdminAuthInitialization'
  | 'AdminAuthAccess'
  | 'AttestationError'
  | 'HTTPFailed'
  | 'HTTPSFailed'
  | 'InvalidRequestPath'
  | 'JweError'
  | 'PluginManagerInitialization'
  | 'PluginNotFound'
  | 'PluginInternalError'
  | 'PolicyDeny'
  | 'ParsePolicyError'
  | 'PolicyEngineError'
  | 'RvpsError'
  | 'SerdeError'
  | 'StorageBackendInitialization'
  | 'TokenNotFound'
  | 'TokenVerifierError'
  | 'PrometheusError'
  | 'PayloadTooLarge';

export interface ErrorInformation {
  type: string;
  detail: string;
}

export function errorInformation(variant: KbsErrorVariant, detail: string): ErrorInformation {
  return { type: KBS_ERROR_TYPE_PREFIX + variant, detail };
}

/** The variant named by an error body's `type`, or undefined when it is not a KBS error type. */
export function errorVariantOf(info: { type?: unknown }): string | undefined {
  return typeof info.type === 'string' && info.type.startsWith(KBS_ERROR_TYPE_PREFIX)
    ? info.type.slice(KBS_ERROR_TYPE_PREFIX.length)
    : undefined;
}
