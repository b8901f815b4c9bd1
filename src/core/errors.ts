/**
 * The project's one error family (STYLE habit 6). Services throw these; only the HTTP edge
 * (`trustee/kbs/error-response.ts`) turns them into wire errors. A bug in our own call is a
 * plain `TypeError`, never one of these.
 * @module
 */

/** Every error code the project uses. `docs/errors.md` has one row per code. */
export type ErrorCode =
  | 'ERR_MALFORMED_INPUT'
  | 'ERR_VERIFICATION_FAILED'
  | 'ERR_POLICY_DENIED'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_UNSUPPORTED'
  | 'ERR_CONFLICT'
  | 'ERR_LIMIT_EXCEEDED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_CONFIG';

export const ERROR_CODES: readonly ErrorCode[] = [
  'ERR_MALFORMED_INPUT',
  'ERR_VERIFICATION_FAILED',
  'ERR_POLICY_DENIED',
  'ERR_NOT_FOUND',
  'ERR_UNAUTHORIZED',
  'ERR_UNSUPPORTED',
  'ERR_CONFLICT',
  'ERR_LIMIT_EXCEEDED',
  'ERR_UNAVAILABLE',
  'ERR_CONFIG',
];

/** Base class: carries a stable `code` and an optional `cause`. */
export class CocoError extends Error {
  readonly code: ErrorCode = 'ERR_MALFORMED_INPUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Untrusted input (JSON, bytes, TOML, a path) does not have the expected shape. */
export class MalformedInput extends CocoError {
  override readonly code = 'ERR_MALFORMED_INPUT';
  /** Where in the input, e.g. `runtime-data.nonce` or `offset 0x2a0`. */
  readonly where: string | undefined;
  constructor(message: string, options?: { cause?: unknown; where?: string }) {
    super(message, options);
    this.where = options?.where;
  }
}

/** One named check of a verification, passed or failed (expected/actual only where safe to show). */
export interface CheckRecord {
  id: string;
  ok: boolean;
  expected?: string;
  actual?: string;
  detail?: string;
}

/** Evidence or a signature failed a named check, e.g. `snp.report.signature`. */
export class VerificationFailed extends CocoError {
  override readonly code = 'ERR_VERIFICATION_FAILED';
  /** Dotted check id: `<tee>.<object>.<check>`. */
  readonly check: string;
  /** The checks run up to and including the failed one, when the verifier kept a trace. */
  trace: readonly CheckRecord[];
  constructor(check: string, message: string, options?: { cause?: unknown; trace?: readonly CheckRecord[] }) {
    super(message, options);
    this.check = check;
    this.trace = options?.trace ?? [];
  }
}

/** A policy evaluated and said no. `rule` names the policy rule when known. */
export class PolicyDenied extends CocoError {
  override readonly code = 'ERR_POLICY_DENIED';
  readonly rule: string | undefined;
  constructor(message: string, options?: { cause?: unknown; rule?: string }) {
    super(message, options);
    this.rule = options?.rule;
  }
}

/** A named thing (resource, policy, reference value, session) does not exist. */
export class NotFound extends CocoError {
  override readonly code = 'ERR_NOT_FOUND';
}

/** Missing, invalid, expired or insufficient credentials. */
export class Unauthorized extends CocoError {
  override readonly code = 'ERR_UNAUTHORIZED';
}

/** A well-formed request for something we do not support (a TEE, an algorithm, a version). */
export class Unsupported extends CocoError {
  override readonly code = 'ERR_UNSUPPORTED';
}

/** A state conflict: e.g. conflicting complete-rule values, a write race. */
export class Conflict extends CocoError {
  override readonly code = 'ERR_CONFLICT';
}

/** A limit was hit: body size, evaluation steps, wall time, retention. */
export class LimitExceeded extends CocoError {
  override readonly code = 'ERR_LIMIT_EXCEEDED';
}

/** A dependency (storage, a remote service, a device) is unavailable. */
export class Unavailable extends CocoError {
  override readonly code = 'ERR_UNAVAILABLE';
}

/** Configuration is invalid; `key` names the offending key when known. */
export class ConfigError extends CocoError {
  override readonly code = 'ERR_CONFIG';
  readonly key: string | undefined;
  constructor(message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options);
    this.key = options?.key;
  }
}

/** True when `err` is one of ours (as opposed to a bug or a library error). */
export function isCocoError(err: unknown): err is CocoError {
  return err instanceof CocoError;
}
