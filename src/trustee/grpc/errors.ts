/**
 * gRPC errors both ways: `GrpcError` (a status code and message, sent by a handler or received by a
 * client), the status a handler's error is answered with (`statusOf`, by `CocoError` class, messages
 * clipped to 1 KiB because they may echo input and an oversized header would break the connection),
 * and what a failed call means to its caller (`remoteFailure`).
 * @module
 */
import type {  } from 'node:net';
import { CocoError, MalformedInput, NotFound, Unavailable, VerificationFailed } from '../../core/index.js';
import { withCheck } from '../check-tag.js';
import {
  GrpcStatus,
  grpcStatusName,
  type GrpcStatusCode,
} from '../../protocol/index.js';


/** A gRPC failure with its status code (sent by a server handler, or received by the client). */
export class GrpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
  }
  /** `NOT_FOUND: no such policy`. */
  override toString(): string {
    return `${grpcStatusName(this.code)}: ${this.message}`;
  }
}

/** Longest `grpc-message` we send or keep (errors may echo untrusted input; headers must stay small). */
export const MAX_STATUS_MESSAGE = 1024;

/** `text` cut to `max` characters, saying so. */
export function clip(text: string, max = MAX_STATUS_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The status a handler's error is answered with (the message clipped to `MAX_STATUS_MESSAGE`). */
export function statusOf(err: unknown): { code: number; message: string } {
  const s = rawStatusOf(err);
  return { code: s.code, message: clip(s.message) };
}

function rawStatusOf(err: unknown): { code: number; message: string } {
  if (err instanceof GrpcError) return { code: err.code, message: err.message };
  if (err instanceof CocoError) {
    const code: Record<string, GrpcStatusCode> = {
      ERR_MALFORMED_INPUT: GrpcStatus.INVALID_ARGUMENT,
      ERR_VERIFICATION_FAILED: GrpcStatus.PERMISSION_DENIED,
      ERR_POLICY_DENIED: GrpcStatus.PERMISSION_DENIED,
      ERR_NOT_FOUND: GrpcStatus.NOT_FOUND,
      ERR_UNAUTHORIZED: GrpcStatus.UNAUTHENTICATED,
      ERR_UNSUPPORTED: GrpcStatus.UNIMPLEMENTED,
      ERR_CONFLICT: GrpcStatus.ALREADY_EXISTS,
      ERR_LIMIT_EXCEEDED: GrpcStatus.RESOURCE_EXHAUSTED,
      ERR_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
      ERR_CONFIG: GrpcStatus.FAILED_PRECONDITION,
    };
    return { code: code[err.code] ?? GrpcStatus.UNKNOWN, message: err.message };
  }
  // A bug in a handler: say so without its details.
  return { code: GrpcStatus.INTERNAL, message: 'internal error' };
}

/** Node timers take at most 2^31-1 ms (a longer one fires at once). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What a failed call means to the caller: an outage is Unavailable, a refusal a failed check. */
export function remoteFailure(err: unknown, what: string, check: string): Error {
  if (!(err instanceof GrpcError)) return err as Error;
  const detail = `${what}: ${grpcStatusName(err.code)}: ${err.message}`;
  if (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED || err.code === GrpcStatus.RESOURCE_EXHAUSTED) {
    return withCheck(new Unavailable(detail), `${check}.unavailable`);
  }
  if (err.code === GrpcStatus.NOT_FOUND) return new NotFound(detail);
  if (err.code === GrpcStatus.INVALID_ARGUMENT) return withCheck(new MalformedInput(detail, { where: check }), check);
  return new VerificationFailed(check, detail);
}
