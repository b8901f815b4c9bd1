/**
 * The one place where errors become KBS wire errors (STYLE habit 7; reference/trustee.md §1.7):
 * the route and the error code choose the upstream variant; the status is 404 only for an unknown
 * path or plugin, 413 for an oversized body, 503 when `/metrics` cannot be gathered (a cluster worker
 * did not answer), and 401 for everything else, as upstream.
 * Attestation failure details stay terse unless `verbose` is set.
 * @module
 */
import { isCocoError, utf8, type CocoError } from '../../core/index.js';
import { errorInformation, type KbsErrorVariant } from '../../protocol/index.js';
import type { HttpResponse } from '../http/types.js';

/** Which part of the API failed; decides the variant for codes that several routes share. */
export type ErrorRoute = 'path' | 'plugin' | 'auth' | 'attest' | 'resource' | 'admin-auth' | 'attestation-policy' | 'resource-policy' | 'reference-value' | 'audit' | 'metrics';

export interface WireError {
  status: number;
  variant: KbsErrorVariant;
  detail: string;
}

function variantFor(route: ErrorRoute, err: CocoError | undefined): KbsErrorVariant {
  const code = err?.code;
  if (code === 'ERR_LIMIT_EXCEEDED') return 'PayloadTooLarge';
  switch (route) {
    case 'path':
      return 'InvalidRequestPath';
    case 'plugin':
      return 'PluginNotFound';
    case 'auth':
    case 'attest':
      return 'AttestationError';
    case 'admin-auth':
      return 'AdminAuthAccess';
    case 'resource':
      if (code === 'ERR_UNAUTHORIZED') return 'TokenNotFound';
      if (code === 'ERR_VERIFICATION_FAILED' && (err as { check?: string }).check?.startsWith('token.')) return 'TokenVerifierError';
      if (code === 'ERR_POLICY_DENIED') return 'PolicyDeny';
      if (code === 'ERR_UNSUPPORTED' || (err as { check?: string } | undefined)?.check?.startsWith('jwe.')) return 'JweError';
      return 'PluginInternalError';
    case 'attestation-policy':
    case 'resource-policy':
      if (code === 'ERR_MALFORMED_INPUT') return (err as { where?: string }).where === 'body' ? 'SerdeError' : 'ParsePolicyError';
      return 'PolicyEngineError';
    case 'reference-value':
      return code === 'ERR_MALFORMED_INPUT' && (err as { where?: string }).where === 'body' ? 'SerdeError' : 'RvpsError';
    case 'audit':
      return code === 'ERR_MALFORMED_INPUT' ? 'SerdeError' : 'PluginInternalError';
    case 'metrics':
      return 'PrometheusError';
  }
}

function statusFor(variant: KbsErrorVariant): number {
  if (variant === 'InvalidRequestPath' || variant === 'PluginNotFound') return 404;
  if (variant === 'PayloadTooLarge') return 413;
  // Not upstream's 401: a scraper must see "try again", not "you are not allowed".
  if (variant === 'PrometheusError') return 503;
  return 401;
}

function detailFor(route: ErrorRoute, variant: KbsErrorVariant, err: unknown, verbose: boolean): string {
  const message = isCocoError(err) ? err.message : 'internal error';
  if (variant === 'PayloadTooLarge') return message;
  if (route === 'auth') return `Attestation error: RCAR handshake Auth failed: ${message}`;
  if (route === 'attest') return verbose ? `Attestation error: RCAR handshake Attest failed: ${message}` : 'Attestation error: RCAR handshake Attest failed';
  if (variant === 'TokenNotFound') return 'Attestation Token not found';
  if (variant === 'PolicyDeny') return 'Access denied by policy';
  return message;
}

/** Map a failure on `route` to its wire form. Errors that are not ours (bugs) become terse 401s. */
export function toWireError(err: unknown, route: ErrorRoute, verbose = false): WireError {
  const coco = isCocoError(err) ? err : undefined;
  const variant = variantFor(route, coco);
  return { status: statusFor(variant), variant, detail: detailFor(route, variant, coco ?? err, verbose) };
}

/** The HTTP response of a wire error: `{"type": ".../kbs/errors/<Variant>", "detail": "..."}`. */
export function errorResponse(wire: WireError, requestId: string): HttpResponse {
  return {
    status: wire.status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId },
    body: utf8(JSON.stringify(errorInformation(wire.variant, wire.detail))),
  };
}
