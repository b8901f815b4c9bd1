/**
 * Audit check ids carried on errors: services tag a failure with the check that decided it
 * (`kbs.nonce`, `kbs.session.expired`, ...) and the KBS audit record reads it back. Verifier failures
 * already carry their `check`; policy denials their `rule`.
 * @module
 */
import { MalformedInput, PolicyDenied, VerificationFailed, isCocoError } from '../core/index.js';

const checkTags = new WeakMap<object, string>();

/** Attach an audit check id to an error (returns the error, to be thrown). */
export function withCheck<E extends Error>(err: E, check: string): E {
  checkTags.set(err, check);
  return err;
}

/** Like `withCheck`, but keeps a check id the error already carries (a more precise one from deeper down). */
export function withDefaultCheck<E extends Error>(err: E, check: string): E {
  if (!checkTags.has(err)) checkTags.set(err, check);
  return err;
}

/** The audit check id for a failure: an explicit tag, the verifier's check, the policy rule, or `<fallback>.<code>`. */
export function checkOf(err: unknown, fallback: string): string {
  if (err !== null && typeof err === 'object') {
    const tagged = checkTags.get(err);
    if (tagged) return tagged;
  }
  if (err instanceof VerificationFailed) return err.check;
  if (err instanceof PolicyDenied) return err.rule ?? fallback;
  if (err instanceof MalformedInput) return `${fallback}.malformed`;
  if (isCocoError(err)) return `${fallback}.${err.code.slice(4).toLowerCase()}`;
  return `${fallback}.internal`;
}
