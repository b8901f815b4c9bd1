/**
 * The compiled policy: evaluate queries against input and data, with limits, host builtins,
 * print capture and explain traces.
 * @module
 */
import { ConfigError, LimitExceeded } from '../core/index.js';
import type { Expr, Term } from './ast.js';
import { adaptHost, STANDARD_BUILTINS, type BuiltinDef, type HostBuiltin } from './builtins/index.js';
import type { CompiledModules } from './compile.js';
import { Evaluator, type BuiltinTable, type Env, type Shared } from './eval.js';
import { Explainer, type ExplainEntry } from './explain.js';
import { deepFreeze, findEntry, MEMO_FIRST_PAUSE, MEMO_LONGEST_PAUSE, MEMO_MISSES_BEFORE_PAUSE, ReadTracker, type MemoSlot } from './memo.js';
import { parseQuery } from './parser.js';
import { bodyLocals, resolveBody } from './resolve.js';
import { fromJson, RObject, toJson, type Value } from './value.js';

export interface EvalOptions {
  input?: unknown;
  data?: unknown;
  limits?: { maxSteps?: number; timeoutMs?: number };
  explain?: boolean;
  builtins?: Record<string, HostBuiltin>;
  print?: (line: string) => void;
  /**
   * Builtin errors (type errors, unparsable numbers...) fail the evaluation when true (regorus'
   * default, used by Trustee); when false they make the call undefined (OPA's default, Kata).
   * Defaults to the compile option, else true.
   */
  strictBuiltinErrors?: boolean;
  /** Clock in ms since the epoch: used by time.now_ns and by `limits.timeoutMs`. */
  now?: () => number;
  /**
   * `evalJson` only: remember the result with what the evaluation read of `input` and what its host
   * builtins answered, and answer later calls whose input agrees on all of it from memory (see
   * memo.ts). Ignored with `explain` or `print`. The result is then shared and deeply frozen.
   */
  memo?: boolean;
}

/** One solution of a query: the value of each expression and the variable bindings. */
export interface QueryResult {
  expressions: Value[];
  bindings: Record<string, Value>;
}

export interface EvalResult {
  /** The value of a single-term query (first solution), or undefined. */
  value: Value | undefined;
  /** All solutions. */
  results: QueryResult[];
  /** Explain trace (when requested). */
  explain?: ExplainEntry[];
  steps: number;
}

export const DEFAULT_MAX_STEPS = 10_000_000;

/** Remembered evaluations per query (and `data`), newest first; and distinct memo keys kept. */
const MEMO_ENTRIES = 16;
const MEMO_KEYS = 64;

export class CompiledPolicy {
  private readonly builtins: Map<string, BuiltinDef>;
  private readonly queryCache = new Map<string, { body: Expr[]; vars: string[] }>();

  private readonly compiled: CompiledModules;

  private readonly strict: boolean;

  /** `query \0 strict \0 JSON(data)` → remembered evaluations (memo.ts). */
  private readonly memo = new Map<string, MemoSlot>();

  constructor(compiled: CompiledModules, hostBuiltins: Record<string, HostBuiltin> | undefined, strict = true) {
    this.compiled = compiled;
    this.strict = strict;
    this.builtins = new Map(STANDARD_BUILTINS);
    for (const [name, h] of Object.entries(hostBuiltins ?? {})) this.builtins.set(name, adaptHost(h));
  }

  get packages(): string[] {
    return this.compiled.packages;
  }

  evalJson(query: string, opts?: EvalOptions): unknown {
    if (opts?.memo && !opts.explain && !opts.print) return this.evalJsonMemo(query, opts);
    const r = this.eval(query, opts);
    return r.value === undefined ? undefined : toJson(r.value);
  }

  private evalJsonMemo(query: string, opts: EvalOptions): unknown {
    let dataKey: string;
    try {
      dataKey = opts.data === undefined ? '' : JSON.stringify(opts.data);
    } catch {
      return this.evalJson(query, { ...opts, memo: false });
    }
    const key = `${query}\0${opts.strictBuiltinErrors ?? this.strict}\0${dataKey}`;
    let slot = this.memo.get(key);
    if (slot && slot.paused > 0) {
      slot.paused--;
      return this.evalJson(query, { ...opts, memo: false });
    }
    const host = hostTable(opts.builtins);
    const bctx = { now: opts.now, print: undefined };
    const hit = slot && findEntry(slot.entries, opts.input, host, bctx, opts.limits?.maxSteps ?? DEFAULT_MAX_STEPS);
    if (hit) {
      slot!.misses = 0;
      slot!.nextPause = MEMO_FIRST_PAUSE;
      return hit.result;
    }
    const track = new ReadTracker();
    const r = this.evalGuarded(query, opts, host, track);
    const result = r.value === undefined ? undefined : deepFreeze(toJson(r.value));
    if (!track.volatile) {
      if (!slot) {
        if (this.memo.size >= MEMO_KEYS) this.memo.delete(this.memo.keys().next().value!);
        this.memo.set(key, (slot = { entries: [], misses: 0, paused: 0, nextPause: MEMO_FIRST_PAUSE }));
      }
      slot.entries.unshift({ reads: track.reads, calls: track.calls, result, steps: r.steps });
      if (slot.entries.length > MEMO_ENTRIES) slot.entries.pop();
      if (++slot.misses >= MEMO_MISSES_BEFORE_PAUSE) {
        slot.misses = 0;
        slot.paused = slot.nextPause;
        slot.nextPause = Math.min(slot.nextPause * 2, MEMO_LONGEST_PAUSE);
      }
    }
    return result;
  }

  eval(query: string, opts: EvalOptions = {}): EvalResult {
    return this.evalGuarded(query, opts, hostTable(opts.builtins), undefined);
  }

  private evalGuarded(query: string, opts: EvalOptions, host: Map<string, BuiltinDef> | undefined, track: ReadTracker | undefined): EvalResult {
    try {
      return this.evalUnguarded(query, opts, host, track);
    } catch (err) {
      if (isStackOverflow(err)) throw new LimitExceeded('rego evaluation nested too deeply (stack exhausted)', { cause: err });
      throw err;
    }
  }

  private evalUnguarded(query: string, opts: EvalOptions, host: Map<string, BuiltinDef> | undefined, track: ReadTracker | undefined): EvalResult {
    const { body, vars } = this.prepareQuery(query);
    let builtins: BuiltinTable = this.builtins;
    if (host) {
      // Per-call host builtins overlay the policy's table (copying its hundreds of entries per call would cost more than the evaluation).
      builtins = new OverlayBuiltins(track ? trackedHost(host, track) : host, this.builtins);
    }
    const timeoutMs = opts.limits?.timeoutMs;
    if (timeoutMs !== undefined && !opts.now) throw new ConfigError('rego: limits.timeoutMs needs a clock (EvalOptions.now)', { key: 'now' });
    const shared: Shared = {
      steps: 0,
      maxSteps: opts.limits?.maxSteps ?? DEFAULT_MAX_STEPS,
      deadline: timeoutMs !== undefined && opts.now ? opts.now() + timeoutMs : undefined,
      clock: opts.now,
      builtins,
      bctx: { now: opts.now, print: opts.print },
      explain: undefined,
      strict: opts.strictBuiltinErrors ?? this.strict,
      track,
    };
    const input = opts.input === undefined ? undefined : fromJson(opts.input);
    const data = opts.data === undefined ? new RObject() : fromJson(opts.data);
    const ev = new Evaluator(this.compiled.root, shared, input, data, undefined, undefined);
    if (opts.explain) shared.explain = new Explainer((expr, env) => describeExpr(ev, expr, env));
    const results: QueryResult[] = [];
    const env: Env = new Map();
    const single = body.length === 1 && body[0]!.e === 'term' && body[0]!.withs.length === 0 ? (body[0] as Expr & { e: 'term' }).term : undefined;
    if (single) {
      ev.evalTerm(single, env, (v) => {
        results.push({ expressions: [v], bindings: bindingsOf(env, vars) });
        return false;
      });
    } else {
      queryStep(ev, body, 0, [], env, (values) => {
        results.push({ expressions: values.slice(), bindings: bindingsOf(env, vars) });
        return false;
      });
    }
    const out: EvalResult = { value: single ? results[0]?.expressions[0] : results.length > 0 ? true : undefined, results, steps: shared.steps };
    if (shared.explain) out.explain = shared.explain.entries;
    return out;
  }

  private prepareQuery(query: string): { body: Expr[]; vars: string[] } {
    const hit = this.queryCache.get(query);
    if (hit) return hit;
    const parsed = parseQuery(query);
    const locals = new Set<string>();
    bodyLocals(parsed, locals);
    const body = resolveBody({ pkg: [], ruleNames: new Set(), imports: [], locals, counter: this.compiled.counter }, parsed);
    const vars = new Set<string>();
    for (const e of body) exprVars(e, vars);
    const prepared = { body, vars: [...vars].filter((v) => !v.startsWith('_$')) };
    if (this.queryCache.size < 256) this.queryCache.set(query, prepared);
    return prepared;
  }
}

/** A JS stack overflow (deeply nested input, policy or recursion through comprehensions). */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function bindingsOf(env: Env, vars: string[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const v of vars) {
    const x = env.get(v);
    if (x !== undefined) out[v] = x;
  }
  return out;
}

function termVars(t: Term, out: Set<string>): void {
  switch (t.t) {
    case 'var':
      if (t.name !== 'input' && t.name !== 'data') out.add(t.name);
      break;
    case 'ref':
      termVars(t.head, out);
      for (const p of t.path) termVars(p, out);
      break;
    case 'array':
    case 'set':
      for (const x of t.items) termVars(x, out);
      break;
    case 'object':
      for (const [a, b] of t.entries) {
        termVars(a, out);
        termVars(b, out);
      }
      break;
    case 'call':
      for (const a of t.args) termVars(a, out);
      break;
    case 'binop':
      termVars(t.left, out);
      termVars(t.right, out);
      break;
    default:
      break;
  }
}

function exprVars(e: Expr, out: Set<string>): void {
  if (e.e === 'term') termVars(e.term, out);
  else if (e.e === 'unify' || e.e === 'assign') {
    termVars(e.left, out);
    termVars(e.right, out);
  } else if (e.e === 'somein') {
    if (e.key) termVars(e.key, out);
    termVars(e.value, out);
  } else if (e.e === 'some') for (const v of e.vars) out.add(v);
}

/** The per-call host builtins as builtin definitions, or undefined when there are none. */
function hostTable(builtins: Record<string, HostBuiltin> | undefined): Map<string, BuiltinDef> | undefined {
  if (!builtins) return undefined;
  const out = new Map<string, BuiltinDef>();
  for (const name in builtins) out.set(name, adaptHost(builtins[name]!));
  return out;
}

/** Host builtins that tell `track` each call and answer; a call that throws makes the evaluation volatile. */
function trackedHost(host: Map<string, BuiltinDef>, track: ReadTracker): Map<string, BuiltinDef> {
  const out = new Map<string, BuiltinDef>();
  for (const [name, def] of host) out.set(name, { arity: def.arity, fn: recordingCall(name, def, track) });
  return out;
}

// A returned closure, not an object-literal method: tsx's keepNames would rename the latter per call.
function recordingCall(name: string, def: BuiltinDef, track: ReadTracker): BuiltinDef['fn'] {
  return (args, ctx) => {
    let answer: Value | undefined;
    try {
      answer = def.fn(args, ctx);
    } catch (err) {
      track.volatile = true;
      throw err;
    }
    track.hostCall(name, args, answer);
    return answer;
  };
}

class OverlayBuiltins implements BuiltinTable {
  private readonly top: Map<string, BuiltinDef>;
  private readonly base: Map<string, BuiltinDef>;
  constructor(top: Map<string, BuiltinDef>, base: Map<string, BuiltinDef>) {
    this.top = top;
    this.base = base;
  }
  get(name: string): BuiltinDef | undefined {
    return this.top.get(name) ?? this.base.get(name);
  }
  has(name: string): boolean {
    return this.top.has(name) || this.base.has(name);
  }
}

/** Evaluate query expressions `i..` in order, collecting each one's value (`true` for non-terms). */
function queryStep(ev: Evaluator, body: Expr[], i: number, values: Value[], env: Env, onSolution: (values: Value[]) => boolean): boolean {
  if (i === body.length) return onSolution(values);
  const e = body[i]!;
  if (e.e === 'term' && e.withs.length === 0) {
    ev.step();
    return ev.evalTerm(e.term, env, (v) => (v === false ? false : ((values[i] = v), queryStep(ev, body, i + 1, values, env, onSolution))));
  }
  values[i] = true;
  return ev.evalExpr(e, env, () => queryStep(ev, body, i + 1, values, env, onSolution));
}

/** Describe a failed expression for explain mode: its operator and operand values. */
function describeExpr(ev: Evaluator, e: Expr, env: Env): { expr: string; operands: unknown[] } {
  const val = (t: Term): unknown => {
    let out: unknown = '<undefined>';
    try {
      ev.evalTerm(t, env, (v) => ((out = toJson(v)), true));
    } catch (err) {
      out = `<error: ${(err as Error).message}>`;
    }
    return out;
  };
  switch (e.e) {
    case 'term': {
      const t = e.term;
      if (t.t === 'binop') return { expr: t.op, operands: [val(t.left), val(t.right)] };
      if (t.t === 'call') return { expr: `${t.fn.join('.')}()`, operands: t.args.map(val) };
      if (t.t === 'in') return { expr: 'in', operands: [val(t.value), val(t.coll)] };
      return { expr: 'term', operands: [val(t)] };
    }
    case 'unify':
    case 'assign':
      return { expr: e.e === 'unify' ? '=' : ':=', operands: [val(e.left), val(e.right)] };
    case 'not': {
      // The negated expression held: show what it was and its operands.
      const inner = describeExpr(ev, e.expr, env);
      return { expr: `not ${inner.expr}`, operands: inner.operands };
    }
    case 'somein':
    case 'every':
      return { expr: e.e === 'somein' ? 'some in' : 'every', operands: [val(e.coll)] };
    default:
      return { expr: e.e, operands: [] };
  }
}
