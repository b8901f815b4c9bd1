/**
 * Request ids: every response carries one in `x-request-id`, and audit records name it.
 * @module
 */
import { randomBytes } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

// Request ids only need to be unique, not secret: a random per-process prefix plus a counter
// (cheaper than asking the CSPRNG on every request).
const prefix = randomBytes(4).toString('hex');
let counter = 0;

/** A fresh 16-hex-digit request id, unique within this process and very likely across replicas. */
export function newRequestId(): string {
  counter = (counter + 1) >>> 0;
  return prefix + counter.toString(16).padStart(8, '0');
}
