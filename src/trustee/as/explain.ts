/**
 * Explainable denials: turn a Rego explain trace (which rule bodies failed, and the first expression
 * that failed in each with its operand values) into short, actionable findings for audit records:
 * "executables 33: `input.tpm.pcr11 in rv("tpm_pcr11")` was false; operands "ab…", ["cd…"];
 * reference values tpm_pcr11". Used only on slow paths (a non-affirming appraisal, a refused
 * resource), never on the affirming path.
 * @module
 */
import type { ExplainedBody } from './policy-engine.js';

/** One failing expression of a policy, as an auditor reads it. */
export interface FailedCheck {
  /** `file:line:col` of the expression in the policy text. */
  at: string;
  /** The expression's source text (one line, shortened), or the operator when the text is unknown. */
  expression: string;
  /** Operator or function (`in`, `==`, `startswith()`, `term`, `not ==`...). */
  operator: string;
  /** Operand values as compact JSON, each shortened; `<undefined>` when the operand had no value. */
  operands: string[];
  /** Reference-value ids the expression looked up (string arguments that were queried). */
  referenceValues: string[];
}

/** Why one trust claim of one submod (or a resource-policy rule) did not get a good value. */
export interface ClaimExplanation extends Partial<FailedCheck> {
  /** Trust claim (`executables`) or policy rule (`allow`). */
  claim: string;
  /** The value it got (trust claims). */
  value?: number;
  /** EAR submod (`cpu0`), for trust claims. */
  submod?: string;
  policy: string;
  /** `default` when no rule body applied to this evidence (the claim kept its default value). */
  reason: 'failed' | 'default' | 'set';
}

export const MAX_OPERAND_CHARS = 120;
const MAX_EXPRESSION_CHARS = 160;
const MAX_FINDINGS_PER_RULE = 3;
const MAX_HELPER_DEPTH = 4;
const UNDEFINED = '<undefined>';

/** Compact JSON of an operand, shortened to `max` characters (with `…`). */
export function operandText(v: unknown, max = MAX_OPERAND_CHARS): string {
  let s: string;
  if (v === UNDEFINED) s = UNDEFINED;
  else {
    try {
      s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The source text at `file:line:col` up to the end of that line (comments dropped, shortened). */
export function sourceAt(text: string | undefined, at: string): string | undefined {
  if (text === undefined) return undefined;
  const m = /:(\d+):(\d+)$/.exec(at);
  if (!m) return undefined;
  const line = text.split('\n')[Number(m[1]) - 1];
  if (line === undefined) return undefined;
  let s = line.slice(Number(m[2]) - 1);
  const hash = commentStart(s);
  if (hash >= 0) s = s.slice(0, hash);
  s = s.trim();
  if (s === '') return undefined;
  return s.length > MAX_EXPRESSION_CHARS ? `${s.slice(0, MAX_EXPRESSION_CHARS - 1)}…` : s;
}

/** Index of a `#` comment outside string literals, or -1. */
function commentStart(s: string): number {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '#') return i;
  }
  return -1;
}

/** String literals of `expression` that were looked up as reference values. */
function referenceIds(expression: string, queried: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const m of expression.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const id = m[1]!;
    if (queried.has(id) && !out.includes(id)) out.push(id);
  }
  return out;
}

/**
 * How much a failed body says about this evidence: 2 = every operand had a value; 1 = some did;
 * 0 = nothing (the body is about input that is not there, e.g. another TEE's section).
 */
function relevance(operands: readonly unknown[], expression: string | undefined): number {
  const undef = operands.filter((o) => o === UNDEFINED).length;
  if (operands.length === 0 || undef === operands.length) return 0;
  if (undef === 0) return 2;
  // `input.x.y in rv("id")` with input.x.y missing: the evidence has no such field.
  if (operands[0] === UNDEFINED && expression !== undefined && /^(not\s+)?input\b/.test(expression)) return 0;
  return 1;
}

export interface TraceContext {
  /** The policy's Rego text, to quote failing expressions. */
  text: string | undefined;
  /** Package path of the rules, e.g. `data.policy`. */
  pkg: string;
  /** Reference-value ids queried during the evaluation. */
  queried: ReadonlySet<string>;
}

function findingOf(body: ExplainedBody, ctx: TraceContext, depth: number, trace: readonly ExplainedBody[]): Array<{ check: FailedCheck; score: number }> {
  const f = body.failure!;
  const expression = sourceAt(ctx.text, f.at);
  // A failing helper rule (`tdx_rtmrs_match`): report the helper's own failing expression instead.
  if (depth < MAX_HELPER_DEPTH && f.expr === 'term' && f.operands[0] === UNDEFINED && expression && /^[A-Za-z_][A-Za-z0-9_]*$/.test(expression)) {
    const inner = failedChecks(trace, `${ctx.pkg}.${expression}`, ctx, depth + 1);
    if (inner.length > 0) return inner;
  }
  const check: FailedCheck = {
    at: f.at,
    expression: expression ?? f.expr,
    operator: f.expr,
    operands: f.operands.map((o) => operandText(o)),
    referenceValues: expression ? referenceIds(expression, ctx.queried) : [],
  };
  return [{ check, score: relevance(f.operands, expression) }];
}

function failedChecks(trace: readonly ExplainedBody[], rule: string, ctx: TraceContext, depth: number): Array<{ check: FailedCheck; score: number }> {
  const out: Array<{ check: FailedCheck; score: number }> = [];
  const seen = new Set<string>();
  for (const body of trace) {
    if (body.rule !== rule || body.succeeded || !body.failure) continue;
    for (const f of findingOf(body, ctx, depth, trace)) {
      if (seen.has(f.check.at)) continue;
      seen.add(f.check.at);
      out.push(f);
    }
  }
  return out;
}

/**
 * The failing expressions of rule `rule` (full path, `data.policy.executables`) that say most about
 * this input: those whose operands all had values, else those with some value; at most three.
 * Empty when no body of the rule applied to this input at all.
 */
export function explainRule(trace: readonly ExplainedBody[], rule: string, ctx: TraceContext): FailedCheck[] {
  const found = failedChecks(trace, rule, ctx, 0);
  const best = Math.max(0, ...found.map((f) => f.score));
  if (best === 0) return [];
  return found.filter((f) => f.score === best).slice(0, MAX_FINDINGS_PER_RULE).map((f) => f.check);
}

/** The first body of `rule` that succeeded (a rule that set a non-affirming value itself). */
export function succeededBody(trace: readonly ExplainedBody[], rule: string): ExplainedBody | undefined {
  return trace.find((b) => b.rule === rule && b.succeeded);
}

/** One human line: `cpu0 executables=33: input.tpm.pcr11 in rv("tpm_pcr11") was false [policy.rego:160:2]; operands "ab", ["cd"]; reference values tpm_pcr11`. */
export function formatExplanation(e: ClaimExplanation): string {
  const who = `${e.submod ? `${e.submod} ` : ''}${e.claim}${e.value !== undefined ? `=${e.value}` : ''}`;
  if (e.reason === 'default') return `${who}: no rule of policy ${e.policy} applied to this evidence (default value)`;
  if (e.reason === 'set') return `${who}: set by policy ${e.policy}${e.at ? ` [${e.at}]` : ''}`;
  const parts = [`${who}: ${e.expression ?? '?'} was false${e.at ? ` [${e.at}]` : ''}`];
  if (e.operands && e.operands.length > 0) parts.push(`operands ${e.operands.join(', ')}`);
  if (e.referenceValues && e.referenceValues.length > 0) parts.push(`reference values ${e.referenceValues.join(', ')}`);
  return parts.join('; ');
}
