/**
 * Memoized evaluation (`EvalOptions.memo`): remember a query's result together with everything the
 * evaluation looked at, and answer a later call without evaluating when its input agrees on all of it.
 *
 * Evaluation is deterministic given three things: the parts of `input` it reads, the answers of the
 * host builtins it calls, and everything fixed for the compiled policy (its rules, the `data` document
 * and the builtin error mode, which are part of the memo key). A `ReadTracker` records, during one
 * evaluation, each read of `input` as the value found at a path of constant keys (a reference such as
 * `input.sample.svn`; a reference that goes on with a variable key, or a bare `input`, records the whole
 * value at its constant prefix) and each host builtin call with its arguments and answer. A later call
 * replays that record: it looks the same paths up in its own input (the plain JSON, before it is turned
 * into Rego values) and calls the same host builtins with the same arguments; when every read finds an
 * equal value and every call the same answer, the evaluation would take exactly the same steps, so the
 * remembered result is its result. Anything that is not a function of those — `time.now_ns`,
 * `rand.intn`, `uuid.rfc4122`, `print`, and `with` (which substitutes input and functions) — marks the
 * evaluation volatile and it is not remembered.
 *
 * What a memoized call does not do is convert the parts of the input the policy never reads, so it
 * does not notice them being malformed (nested too deeply, holding non-JSON values) where a plain
 * evaluation would throw. Host builtins must answer from their arguments (and state the caller
 * controls); a replay may call them again.
 * @module
 */
import type { Term } from './ast.js';
import type { BuiltinContext, BuiltinDef } from './builtins/types.js';
import { indexValue } from './ops.js';
import { keyOf, RObject, RSet, type Value } from './value.js';

/** One read of the input: the value at a path of constant keys (undefined: nothing there). */
interface InputRead {
  path: Value[];
  value: Value | undefined;
}

/** One host builtin call and its answer. */
interface HostCall {
  name: string;
  args: Value[];
  /** The answer, or undefined when there was none (compared by `keyOf` on replay only). */
  answer: Value | undefined;
}

/** What one evaluation read; filled by the evaluator while `Shared.track` is set. */
export class ReadTracker {
  readonly reads: InputRead[] = [];
  readonly calls: HostCall[] = [];
  /** Set when the evaluation used something other than input reads and host calls. */
  volatile = false;
  private readonly seen = new WeakSet<Term>();

  /** A bare `input`: the evaluation depends on all of it. */
  readAll(input: Value | undefined): void {
    this.reads.push({ path: [], value: input });
  }

  /** `input` followed by `path`: the value at its constant-key prefix (each reference term once). */
  readRef(input: Value, ref: Term, path: Term[]): void {
    if (this.seen.has(ref)) return;
    this.seen.add(ref);
    const keys: Value[] = [];
    let v: Value | undefined = input;
    for (const p of path) {
      if (p.t !== 'scalar') break;
      keys.push(p.v);
      v = indexValue(v, p.v);
      if (v === undefined) break;
    }
    this.reads.push({ path: keys, value: v });
  }

  hostCall(name: string, args: Value[], answer: Value | undefined): void {
    this.calls.push({ name, args, answer });
  }
}

/**
 * The remembered evaluations of one query (and `data`), newest first, with how lookups have gone: a
 * run of misses (inputs that differ in what the policy reads, such as per-guest measurements)
 * pauses memoization for a while, so that such workloads pay the recording and the lookups rarely.
 */
export interface MemoSlot {
  entries: MemoEntry[];
  /** Misses since the last hit or pause. */
  misses: number;
  /** Evaluations left to run without the memo. */
  paused: number;
  /** Length of the next pause (doubles while lookups keep missing, back to the start after a hit). */
  nextPause: number;
}

/** Misses in a row that pause memoization, and the first and longest pauses (evaluations). */
export const MEMO_MISSES_BEFORE_PAUSE = 32;
export const MEMO_FIRST_PAUSE = 256;
export const MEMO_LONGEST_PAUSE = 16_384;

/** A remembered evaluation. */
export interface MemoEntry {
  reads: InputRead[];
  calls: HostCall[];
  /** The remembered result (deeply frozen), or undefined. */
  result: unknown;
  /** Steps the evaluation took (a call with a smaller step limit evaluates for itself). */
  steps: number;
}

/** A value no JSON walk can produce: the input holds something the memo does not compare. */
const UNSUPPORTED = Symbol('unsupported');

/** A plain JS object as `fromJson` reads it (own enumerable keys), or false for anything else. */
function isPlainRecord(x: object): boolean {
  return !(x instanceof Set || x instanceof Map || x instanceof RSet || x instanceof RObject || ArrayBuffer.isView(x));
}

/** `indexValue` on the Rego value `fromJson(x)` would give, computed on `x` itself. */
function jsonIndex(x: unknown, key: Value): unknown {
  if (x === null || typeof x !== 'object') return undefined;
  if (Array.isArray(x)) {
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= x.length) return undefined;
    const v: unknown = x[key];
    return v === undefined ? UNSUPPORTED : v;
  }
  if (!isPlainRecord(x)) return UNSUPPORTED;
  if (typeof key !== 'string' || !Object.prototype.propertyIsEnumerable.call(x, key)) return undefined;
  return (x as Record<string, unknown>)[key];
}

/** True when `fromJson(x)` would be exactly the Rego value `v` (false whenever unsure). */
export function sameAsJson(v: Value | undefined, x: unknown): boolean {
  if (x === undefined || v === undefined) return x === v;
  switch (typeof x) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return v === x;
    case 'number':
      return typeof v === 'number' && Object.is(v, x);
    case 'object':
      break;
    default:
      return false;
  }
  if (x === null) return v === null;
  if (Array.isArray(x)) {
    if (!Array.isArray(v) || v.length !== x.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameAsJson(v[i], x[i])) return false;
    return true;
  }
  if (!(v instanceof RObject) || !isPlainRecord(x)) return false;
  let n = 0;
  for (const k in x) {
    if (!Object.prototype.propertyIsEnumerable.call(x, k)) continue;
    const xv = (x as Record<string, unknown>)[k];
    if (xv === undefined) continue;
    n++;
    if (!sameAsJson(v.get(k), xv)) return false;
  }
  return n === v.size;
}

/** Does `input` (plain JSON) give every read of `entry` the value it had? */
function readsMatch(entry: MemoEntry, input: unknown): boolean {
  for (const r of entry.reads) {
    let x: unknown = input;
    for (const key of r.path) {
      x = jsonIndex(x, key);
      if (x === undefined || x === UNSUPPORTED) break;
    }
    if (x === UNSUPPORTED || !sameAsJson(r.value, x)) return false;
  }
  return true;
}

/** Do the host builtins of this call answer every remembered call as before? (Calls them.) */
function callsMatch(entry: MemoEntry, host: ReadonlyMap<string, BuiltinDef> | undefined, bctx: BuiltinContext): boolean {
  for (const c of entry.calls) {
    const def = host?.get(c.name);
    if (!def) return false;
    let answer: Value | undefined;
    try {
      answer = def.fn(c.args, bctx);
    } catch {
      return false;
    }
    if (answer === undefined || c.answer === undefined ? answer !== c.answer : keyOf(answer) !== keyOf(c.answer)) return false;
  }
  return true;
}

/**
 * The remembered entry that holds for this call, if any. Reads are compared first (no side effects);
 * host calls are replayed only for an entry whose reads all match.
 */
export function findEntry(entries: readonly MemoEntry[], input: unknown, host: ReadonlyMap<string, BuiltinDef> | undefined, bctx: BuiltinContext, maxSteps: number): MemoEntry | undefined {
  for (const e of entries) {
    if (e.steps <= maxSteps && readsMatch(e, input) && callsMatch(e, host, bctx)) return e;
  }
  return undefined;
}

/** Freeze a JSON result and everything in it (callers share it). */
export function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}
