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

export interface CompiledPolicy {
  /** Value of `query` (e.g. `data.policy.allow`) as plain JSON; `undefined` when the rule is not set. */
  evalJson(query: string, options: { input?: unknown; data?: unknown; builtins?: HostBuiltins }): unknown;
}

export interface PolicyEngine {
  /** Parse and check modules; throws `MalformedInput` for Rego that does not parse. */
  compile(modules: Record<string, string>, options?: { builtins?: HostBuiltins }): CompiledPolicy;
}
