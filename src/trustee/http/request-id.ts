/**
 * Request ids: every response carries one in `x-request-id`, and audit records name it.
 * @module
 */
import { randomBytes } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A fresh 16-hex-digit request id. */
export function newRequestId(): string {
  return randomBytes(8).toString('hex');
}
