/**
 * The Rego engine seam (implemented by `src/rego`): compile modules once, evaluate a rule path with
 * `input`, `data` and synchronous host builtins such as `query_reference_value`.
 * @module
 */

export interface HostBuiltin {
  arity: number;
  fn: (...args: unknown[]) => unknown;
}

export type HostBuiltins = Record<string, HostBuiltin>;

/** One rule body in an explain trace: did it succeed, and if not, its first failing expression. */
export interface ExplainedBody {
  rule: string;
  at: string;
  succeeded: boolean;
  failure?: { at: string; expr: string; operands: unknown[] };
}

export interface CompiledPolicy {
  /**
   * Value of `query` (e.g. `data.policy.allow`) as plain JSON; `undefined` when the rule is not set.
   * With `memo`, the engine may answer from an earlier evaluation that read the same values of the
   * input and got the same host builtin answers; the result is then shared and must not be changed.
   */
  evalJson(query: string, options: { input?: unknown; data?: unknown; builtins?: HostBuiltins; memo?: boolean }): unknown;
  /** Evaluate with an explain trace (optional: an engine without one gives no explanations). */
  eval?(query: string, options: { input?: unknown; data?: unknown; builtins?: HostBuiltins; explain: true }): { explain?: readonly ExplainedBody[] };
}

export interface PolicyEngine {
  /** Parse and check modules; throws `MalformedInput` for Rego that does not parse. */
  compile(modules: Record<string, string>, options?: { builtins?: HostBuiltins }): CompiledPolicy;
}
