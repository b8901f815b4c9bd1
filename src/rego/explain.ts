/**
 * Explain mode: records, for each rule body evaluated, whether it succeeded and, for failed
 * bodies, the first expression that never succeeded together with its operand values.
 * @module
 */
import type { Expr, Rule, RuleBody, Term } from './ast.js';
import type { Value } from './value.js';

export interface ExplainFailure {
  /** `file:line:col` of the failing expression. */
  at: string;
  /** The expression kind and, for calls and comparisons, the operator or function. */
  expr: string;
  /** Operand values (JSON) as far as they could be evaluated; undefined ones are `"<undefined>"`. */
  operands: unknown[];
}

export interface ExplainEntry {
  rule: string;
  at: string;
  succeeded: boolean;
  failure?: ExplainFailure;
}

interface Frame {
  rule: Rule;
  body: Expr[];
  max: number;
  env: Map<string, Value>;
}

export class Explainer {
  readonly entries: ExplainEntry[] = [];
  private readonly stack: Frame[] = [];
  private readonly operandsOf: (expr: Expr, env: Map<string, Value>) => { expr: string; operands: unknown[] };
  constructor(operandsOf: (expr: Expr, env: Map<string, Value>) => { expr: string; operands: unknown[] }) {
    this.operandsOf = operandsOf;
  }

  enterBody(rule: Rule, b: RuleBody): number {
    this.stack.push({ rule, body: b.body, max: -1, env: new Map() });
    return this.stack.length - 1;
  }

  reached(body: Expr[], i: number, env: Map<string, Value>): void {
    const top = this.stack[this.stack.length - 1];
    if (!top || top.body !== body || i <= top.max) return;
    top.max = i;
    top.env = new Map(env);
  }

  exitBody(token: number, found: boolean): void {
    const frame = this.stack[token];
    this.stack.length = token;
    if (!frame) return;
    const name = ['data', ...frame.rule.pkg, ...frame.rule.ref.map(refText)].join('.');
    const loc = frame.rule.loc;
    const entry: ExplainEntry = { rule: name, at: `${loc.file}:${loc.line}:${loc.col}`, succeeded: found };
    if (!found && frame.max >= 0 && frame.max < frame.body.length) {
      const expr = frame.body[frame.max]!;
      const d = this.operandsOf(expr, frame.env);
      entry.failure = { at: `${expr.loc.file}:${expr.loc.line}:${expr.loc.col}`, ...d };
    }
    this.entries.push(entry);
  }
}

function refText(t: Term): string {
  return t.t === 'scalar' ? String(t.v) : t.t === 'var' ? `[${t.name}]` : '[_]';
}
