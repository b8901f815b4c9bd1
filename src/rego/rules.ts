/**
 * Rule semantics: complete rules (one value, conflicts are errors, `default` when undefined,
 * `else` chains), partial sets and objects (accumulate), functions (memoized per argument tuple)
 * and the merged value of packages.
 * @module
 */
import { Conflict, LimitExceeded, MalformedInput } from '../core/index.js';
import type { Rule } from './ast.js';
import type { Env, Evaluator } from './eval.js';
import type { RuleNode } from './tree.js';
import { equal, keyOf, RObject, RSet, type Value } from './value.js';

export const PENDING = Symbol('pending');

function ruleName(node: RuleNode): string {
  return ['data', ...node.path].join('.');
}

/** Value of a node of the data tree (memoized per evaluator; detects recursion). */
export function nodeValue(ev: Evaluator, node: RuleNode): Value | undefined {
  if (node.constant !== undefined && !ev.overrides?.size) return node.constant;
  const m = ev.memo.get(node.id);
  if (m === PENDING) throw new MalformedInput(`rego: recursion detected while evaluating ${ruleName(node)}`);
  if (m !== undefined || ev.memo.has(node.id)) return m as Value | undefined;
  ev.memo.set(node.id, PENDING);
  let v: Value | undefined;
  try {
    v = computeNode(ev, node);
  } catch (err) {
    ev.memo.delete(node.id);
    throw err;
  }
  ev.memo.set(node.id, v);
  return v;
}

function computeNode(ev: Evaluator, node: RuleNode): Value | undefined {
  if (node.complete.length > 0 || (node.defaults.length > 0 && node.funcs.length === 0)) return completeValue(ev, node);
  if (node.sets.length > 0) return setValue(ev, node);
  const objectRules = node.objects.length + node.objectDefaults.length;
  if (node.funcs.length > 0 && node.children.size === 0 && objectRules === 0) return undefined;
  const obj = objectRules > 0 ? objectValue(ev, node) : new RObject();
  const base = ev.baseAt(node.path);
  if (objectRules === 0 && node.children.size === 0) return base ?? (node.isPackage ? obj : undefined);
  if (base instanceof RObject) for (const [k, v] of base.entries()) if (!obj.has(k)) obj.set(k, v);
  for (const [name, child] of node.children) {
    const ov = ev.overrides?.get(child.path.join('\u0000'));
    const cv = ov !== undefined ? ov : nodeValue(ev, child);
    if (cv !== undefined) obj.set(name, cv);
  }
  return obj;
}

/** Run a rule's body chain; `emit` gets each (env, value); the first branch with results wins. */
/**
 * The continuation that evaluates one rule body and then its value. Built here rather than as a
 * named local closure: tsx compiles with esbuild's keepNames, which renames every named closure
 * (an `Object.defineProperty` call) each time it is created, and this one is created per body run.
 */
function bodyContinuation(ev: Evaluator, b: Rule['bodies'][number], env: Env, onSolution: (v: Value) => boolean): () => boolean {
  return () => ev.evalBody(b.body, 0, env, () => ev.evalTerm(b.value, env, onSolution));
}

function runBodies(ev: Evaluator, rule: Rule, onValue: (v: Value, env: Env) => boolean, initEnv?: (env: Env, k: () => boolean) => boolean): void {
  for (const b of rule.bodies) {
    const env: Env = new Map();
    let found = false;
    // A complete rule or function with a constant value needs only one solution.
    // With a print sink, functions run all their solutions, so print output matches regorus line for line.
    const constant =
      b.value.t === 'scalar' &&
      (rule.kind !== 'object' || rule.ref.slice(rule.staticLen).every((t) => t.t === 'scalar')) &&
      (rule.kind !== 'function' || !ev.shared.bctx.print);
    const explain = ev.shared.explain;
    const token = explain?.enterBody(rule, b);
    const run = bodyContinuation(ev, b, env, (v) => {
      found = true;
      return onValue(v, env) || constant;
    });
    if (initEnv) initEnv(env, run);
    else run();
    if (explain && token !== undefined) explain.exitBody(token, found);
    if (found) return;
  }
}

function completeValue(ev: Evaluator, node: RuleNode): Value | undefined {
  let result: Value | undefined;
  for (const rule of node.complete) {
    runBodies(ev, rule, (v) => {
      if (result === undefined) result = v;
      else if (!equal(result, v)) throw new Conflict(`rego: complete rule ${ruleName(node)} produced conflicting values`);
      return false;
    });
  }
  if (result === undefined) {
    for (const d of node.defaults) {
      ev.evalTerm(d.bodies[0]!.value, new Map(), (v) => ((result = v), true));
    }
  }
  return result;
}

function setValue(ev: Evaluator, node: RuleNode): Value {
  const out = new RSet();
  for (const rule of node.sets) {
    for (const b of rule.bodies) {
      const env: Env = new Map();
      const explain = ev.shared.explain;
      const token = explain?.enterBody(rule, b);
      let found = false;
      const constant = rule.key!.t === 'scalar';
      ev.evalBody(b.body, 0, env, () => ev.evalTerm(rule.key!, env, (v) => ((found = true), out.add(v), constant)));
      if (explain && token !== undefined) explain.exitBody(token, found);
    }
  }
  return out;
}

function objectValue(ev: Evaluator, node: RuleNode): RObject {
  const out = new RObject();
  for (const rule of node.objects) {
    const suffix = rule.ref.slice(rule.staticLen);
    if (rule.kind === 'set') {
      // `a[x][y] contains v`: an object whose leaves are sets.
      for (const b of rule.bodies) {
        const env: Env = new Map();
        ev.evalBody(b.body, 0, env, () =>
          ev.evalSeq(suffix, 0, [], env, (keys) => ev.evalTerm(rule.key!, env, (v) => (addToLeafSet(out, keys, v, node), false))),
        );
      }
      continue;
    }
    runBodies(ev, rule, (v, env) => {
      ev.evalSeq(suffix, 0, [], env, (keys) => {
        insertAt(out, keys, v, node);
        return false;
      });
      return false;
    });
  }
  for (const d of node.objectDefaults) {
    const env: Env = new Map();
    ev.evalSeq(d.ref.slice(d.staticLen), 0, [], env, (keys) =>
      ev.evalTerm(d.bodies[0]!.value, env, (v) => {
        if (!hasPath(out, keys)) insertAt(out, keys, v, node);
        return true;
      }),
    );
  }
  return out;
}

function addToLeafSet(obj: RObject, keys: Value[], v: Value, node: RuleNode): void {
  const conflict = () => new Conflict(`rego: rule ${ruleName(node)} produced conflicting keys`);
  let cur = obj;
  for (let i = 0; i < keys.length; i++) {
    const last = i === keys.length - 1;
    let next = cur.get(keys[i]!);
    if (next === undefined || !builtSets.has(next as object) && !built.has(next as RObject)) {
      if (next !== undefined && !(last ? next instanceof RSet : next instanceof RObject)) throw conflict();
      const copy: RObject | RSet = last ? new RSet(next instanceof RSet ? next.values() : []) : next instanceof RObject ? RObject.fromEntries(next.entries()) : new RObject();
      if (copy instanceof RSet) builtSets.add(copy);
      else built.add(copy);
      cur.set(keys[i]!, copy);
      next = copy;
    }
    if (last) {
      if (!(next instanceof RSet)) throw conflict();
      next.add(v);
    } else {
      if (!(next instanceof RObject)) throw conflict();
      cur = next;
    }
  }
}

const builtSets = new WeakSet<object>();

function hasPath(obj: RObject, keys: Value[]): boolean {
  let cur: Value | undefined = obj;
  for (const k of keys) {
    if (!(cur instanceof RObject)) return false;
    cur = cur.get(k);
    if (cur === undefined) return false;
  }
  return true;
}

/** Objects built by this evaluation; any other object met on the way is copied, never mutated. */
const built = new WeakSet<RObject>();

function insertAt(obj: RObject, keys: Value[], v: Value, node: RuleNode): void {
  let cur = obj;
  for (let i = 0; i < keys.length - 1; i++) {
    let next = cur.get(keys[i]!);
    if (next === undefined) {
      next = new RObject();
      built.add(next);
      cur.set(keys[i]!, next);
    } else if (!(next instanceof RObject)) {
      throw new Conflict(`rego: object rule ${ruleName(node)} produced conflicting keys`);
    } else if (!built.has(next)) {
      next = RObject.fromEntries(next.entries());
      built.add(next);
      cur.set(keys[i]!, next);
    }
    cur = next;
  }
  const last = keys[keys.length - 1]!;
  const prev = cur.get(last);
  if (prev !== undefined && !equal(prev, v)) throw new Conflict(`rego: object rule ${ruleName(node)} produced conflicting values for key ${JSON.stringify(keyOf(last))}`);
  cur.set(last, v);
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** Memo key of one argument: scalars by value, composites by identity (a miss is only slower). */
function argKey(v: Value): string {
  if (v === null || typeof v !== 'object') return keyOf(v);
  let id = identities.get(v);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(v, id);
  }
  return '@' + id;
}

/** Call a user-defined function; memoized per evaluator and argument tuple. */
export function callFunction(ev: Evaluator, node: RuleNode, args: Value[]): Value | undefined {
  const memoKey = node.id + ':' + args.map(argKey).join('|');
  if (ev.fnMemo.has(memoKey)) return ev.fnMemo.get(memoKey);
  let result: Value | undefined;
  // An error in one definition is ignored when another definition produces the value (regorus).
  let firstError: unknown;
  for (const rule of node.funcs) {
    try {
      runBodies(
        ev,
        rule,
        (v) => {
          if (result === undefined) result = v;
          else if (!equal(result, v)) throw new Conflict(`rego: function ${ruleName(node)} produced conflicting outputs`);
          return false;
        },
        (env, k) => bindArgs(ev, rule, args, 0, env, k),
      );
    } catch (err) {
      if (err instanceof LimitExceeded || (err instanceof Conflict && result !== undefined)) throw err;
      firstError ??= err;
    }
  }
  if (result === undefined && firstError !== undefined) throw firstError;
  if (result === undefined) {
    for (const d of node.defaults) ev.evalTerm(d.bodies[0]!.value, new Map(), (v) => ((result = v), true));
  }
  ev.fnMemo.set(memoKey, result);
  return result;
}

function bindArgs(ev: Evaluator, rule: Rule, args: Value[], i: number, env: Env, k: () => boolean): boolean {
  if (i === rule.args.length) return k();
  return ev.bindPattern(rule.args[i]!, args[i]!, env, () => bindArgs(ev, rule, args, i + 1, env, k));
}
