/**
 * A failure and the audit check id it carries (`checkOf`, as the KBS audit record reads it), for tests
 * that assert both the error class and the check that decided it.
 * @module
 */
import { checkOf } from '../../src/trustee/check-tag.js';

export interface Failure {
  error: Error;
  check: string;
}

/** What `promise` rejects with; throws when it resolves. `fallback` prefixes untagged errors' ids. */
export async function rejection(promise: Promise<unknown>, fallback: string): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return { error: error as Error, check: checkOf(error, fallback) };
  }
  throw new Error('expected a failure');
}

/** What `fn` throws; throws when it returns. */
export function thrown(fn: () => unknown, fallback: string): Failure {
  try {
    fn();
  } catch (error) {
    return { error: error as Error, check: checkOf(error, fallback) };
  }
  throw new Error('expected a failure');
}
