/**
 * Rego abstract syntax tree, as produced by the parser and resolved by the compiler.
 * @module
 */

/** Source position of a term, expression or rule. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export type Scalar = null | boolean | number | bigint | string;

export type Term =
  | { t: 'scalar'; v: Scalar; loc: Loc }
  | { t: 'var'; name: string; loc: Loc }
  /** `head.a[b]...`: head is a var (input, data, local, rule name) or any other term. */
  | { t: 'ref'; head: Term; path: Term[]; loc: Loc }
  | { t: 'array'; items: Term[]; loc: Loc }
  | { t: 'set'; items: Term[]; loc: Loc }
  | { t: 'object'; entries: [Term, Term][]; loc: Loc }
  | { t: 'arraycomp'; head: Term; body: Expr[]; loc: Loc }
  | { t: 'setcomp'; head: Term; body: Expr[]; loc: Loc }
  | { t: 'objcomp'; key: Term; value: Term; body: Expr[]; loc: Loc }
  /** A call; `fn` is the dotted name as written (`count`, `object.get`, `data.lib.f`, `f`). */
  | { t: 'call'; fn: string[]; args: Term[]; loc: Loc }
  | { t: 'binop'; op: BinOp; left: Term; right: Term; loc: Loc }
  /** Membership `x in c` or `k, x in c` used as a term (true/false). */
  | { t: 'in'; key: Term | undefined; value: Term; coll: Term; loc: Loc };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface WithMod {
  target: Term;
  value: Term;
}

export type ExprKind =
  | { e: 'term'; term: Term }
  | { e: 'unify'; left: Term; right: Term }
  | { e: 'assign'; left: Term; right: Term }
  | { e: 'not'; expr: Expr }
  | { e: 'some'; vars: string[] }
  | { e: 'somein'; key: Term | undefined; value: Term; coll: Term }
  | { e: 'every'; key: Term | undefined; value: Term; coll: Term; body: Expr[] };

export type Expr = ExprKind & { withs: WithMod[]; loc: Loc };

export type RuleKind = 'complete' | 'set' | 'object' | 'function';

/** One body of a rule (the main one or an `else` branch) with the value it yields. */
export interface RuleBody {
  body: Expr[];
  value: Term;
  loc: Loc;
}

export interface Rule {
  kind: RuleKind;
  isDefault: boolean;
  /** Package path without the leading `data`. */
  pkg: string[];
  /** Head reference: first term is the rule name (string scalar), then dots/brackets. */
  ref: Term[];
  /** Function parameters. */
  args: Term[];
  /** Set element (kind set). */
  key: Term | undefined;
  /** How many leading head-ref terms are static path segments (the rest build object keys). */
  staticLen: number;
  /** Main body followed by `else` branches, in order. */
  bodies: RuleBody[];
  loc: Loc;
}

export interface Import {
  path: string[];
  alias: string | undefined;
  loc: Loc;
}

export interface Module {
  file: string;
  pkg: string[];
  imports: Import[];
  rules: Rule[];
  v1: boolean;
}

/** Helper to build a `true` scalar at a location. */
export function trueTerm(loc: Loc): Term {
  return { t: 'scalar', v: true, loc };
}
