/**
 * General Rego (v1 and v0) policy engine: compile once, evaluate many. Knows nothing about KBS.
 *
 * ```ts
 * const policy = compile({ 'p.rego': 'package p\nallow if input.x == 1' });
 * policy.evalJson('data.p.allow', { input: { x: 1 } }); // true
 * ```
 * Throws MalformedInput (parse errors with `file:line:col`, type errors), Conflict (complete-rule
 * or function conflicts), LimitExceeded (steps or wall time), ConfigError (bad options).
 * @module
 */
import type { HostBuiltin } from './builtins/index.js';
import { compileModules } from './compile.js';
import { MalformedInput } from '../core/index.js';
import { CompiledPolicy, isStackOverflow, type EvalOptions, type EvalResult } from './policy.js';

export type { HostBuiltin } from './builtins/index.js';
export type { EvalOptions, EvalResult, QueryResult } from './policy.js';
export type { ExplainEntry, ExplainFailure } from './explain.js';
export type { Value } from './value.js';
export { RObject, RSet, toJson, fromJson, equal, compare } from './value.js';

export interface CompileOptions {
  /** Host functions callable from policies, e.g. `{ query_reference_value: { arity: 1, fn } }`. */
  builtins?: Record<string, HostBuiltin>;
  /** Default for EvalOptions.strictBuiltinErrors (true: builtin errors fail the evaluation). */
  strictBuiltinErrors?: boolean;
}

export interface Policy {
  /** Evaluate a query such as 'data.policy.allow'; result is the JSON value or undefined. Sets → sorted arrays. */
  evalJson(query: string, opts?: EvalOptions): unknown;
  /** Richer result: Rego values, all solutions, explain trace. */
  eval(query: string, opts?: EvalOptions): EvalResult;
  readonly packages: string[];
}

/** Parse and link modules (filename → source). Throws MalformedInput with `file:line:col`. */
export function compile(modules: Record<string, string>, options?: CompileOptions): Policy {
  let compiled;
  try {
    compiled = compileModules(modules);
  } catch (err) {
    if (isStackOverflow(err)) throw new MalformedInput('rego: policy nested too deeply', { cause: err });
    throw err;
  }
  return new CompiledPolicy(compiled, options?.builtins, options?.strictBuiltinErrors ?? true);
}
