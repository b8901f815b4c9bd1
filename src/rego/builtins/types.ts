/**
 * The shape of a builtin function and the context the evaluator hands it.
 * @module
 */
import type { Value } from '../value.js';

export interface BuiltinContext {
  /** Wall clock in milliseconds since the epoch, from the caller (time.now_ns). */
  now: (() => number) | undefined;
  /** `print` output sink. */
  print: ((line: string) => void) | undefined;
  /** Source position of the call being evaluated (set for lenient builtins such as print). */
  loc?: { file: string; line: number } | undefined;
  /** Per-evaluation cache for random builtins (uuid.rfc4122, rand.intn). */
  cache?: Map<string, Value> | undefined;
  /** Cached time.now_ns for the query (stable within one evaluation). */
  nowNs?: bigint | undefined;
}

export interface BuiltinDef {
  arity: number;
  fn: (args: Value[], ctx: BuiltinContext) => Value | undefined;
  /** Receives undefined arguments instead of failing (print). */
  lenient?: boolean;
  /** Not a function of its arguments (clock, randomness, output): an evaluation calling it is never memoized. */
  volatile?: boolean;
}

export type BuiltinTable = Record<string, BuiltinDef>;
