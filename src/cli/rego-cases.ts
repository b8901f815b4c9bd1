/**
 * Runs regorus-format Rego test cases (YAML: `cases: [{note, modules, data, input, query,
 * want_result | no_result | error, want_prints, skip}]`) against our engine. Used by
 * `coco policy test` and by the conformance test.
 * @module
 */
import { parse as parseYaml } from 'yaml';
import { compile, fromJson, RObject, RSet, toJson, type Value } from '../rego/index.js';

export interface RegoCase {
  note: string;
  modules: string[];
  data?: unknown;
  input?: unknown;
  query: string;
  want_result?: unknown;
  no_result?: boolean;
  error?: string;
  want_prints?: string[];
  skip?: boolean;
  strict?: boolean;
}

export interface CaseOutcome {
  note: string;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

/** Parse a YAML document of cases (big integers kept exact). */
export function parseCases(text: string): RegoCase[] {
  const doc = parseYaml(text, { intAsBigInt: true }) as { cases?: unknown };
  if (!doc || !Array.isArray(doc.cases)) throw new Error('YAML has no `cases` list');
  return doc.cases as RegoCase[];
}

/** Expected values: `set!:` marks a set, `object!:` an object with non-string keys, `many!:` a list of results. */
export function expectedValue(x: unknown): Value {
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x;
  if (Array.isArray(x)) return x.map(expectedValue);
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'set!') return new RSet(((o['set!'] as unknown[]) ?? []).map(expectedValue));
    if (keys.length === 1 && keys[0] === 'object!') {
      return RObject.fromEntries(((o['object!'] as { key: unknown; value: unknown }[]) ?? []).map((e) => [expectedValue(e.key), expectedValue(e.value)]));
    }
    const out = new RObject();
    for (const k of keys) out.set(k, expectedValue(o[k]));
    return out;
  }
  return fromJson(x);
}

function isMany(x: unknown): x is { 'many!': unknown[] } {
  return !!x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1 && 'many!' in x;
}

/** Evaluate one case; the result value follows regorus: bindings if any, else the expression value(s). */
export function runCase(c: RegoCase): CaseOutcome {
  if (c.skip) return { note: c.note, status: 'skip' };
  const prints: string[] = [];
  let results: Value[];
  try {
    const modules: Record<string, string> = {};
    (c.modules ?? []).forEach((m, i) => (modules[`rego_${i}`] = m));
    const policy = compile(modules);
    const inputs = isMany(c.input) ? c.input['many!'] : [c.input];
    results = [];
    for (const input of inputs) {
      const r = policy.eval(c.query, { strictBuiltinErrors: c.strict !== false, input: input === undefined ? undefined : expectedValue(input), data: c.data === undefined ? {} : expectedValue(c.data), print: (l) => prints.push(l), now: () => 0 });
      for (const res of r.results) {
        const names = Object.keys(res.bindings);
        if (names.length > 0) results.push(RObject.fromEntries(names.map((n) => [n, res.bindings[n]!])));
        else results.push(res.expressions.length === 1 ? res.expressions[0]! : res.expressions);
      }
    }
  } catch (err) {
    if (c.error !== undefined) return { note: c.note, status: 'pass' };
    return { note: c.note, status: 'fail', detail: `unexpected error: ${(err as Error).message}` };
  }
  if (c.error !== undefined) return { note: c.note, status: 'fail', detail: `expected error ${JSON.stringify(c.error)}, got ${show(results)}` };
  if (c.want_prints && JSON.stringify(c.want_prints) !== JSON.stringify(prints)) {
    return { note: c.note, status: 'fail', detail: `prints differ: ${JSON.stringify(prints)}` };
  }
  const undefinedWanted = c.no_result === true || c.want_result === '#undefined';
  if (undefinedWanted) return results.length === 0 ? { note: c.note, status: 'pass' } : { note: c.note, status: 'fail', detail: `expected no result, got ${show(results)}` };
  if (c.want_result === undefined) return results.length === 0 ? { note: c.note, status: 'pass' } : { note: c.note, status: 'fail', detail: `no expectation; got ${show(results)}` };
  const want = isMany(c.want_result) ? c.want_result['many!'].map(expectedValue) : [expectedValue(c.want_result)];
  const got = results;
  const same = want.length === got.length && want.every((w, i) => sameValue(w, got[i]!));
  return same ? { note: c.note, status: 'pass' } : { note: c.note, status: 'fail', detail: `want ${show(want)}, got ${show(got)}` };
}

function sameValue(a: Value, b: Value): boolean {
  return JSON.stringify(toJson(a), big) === JSON.stringify(toJson(b), big) && sameShape(a, b);
}

/** Sets and arrays must not be confused even though both render as JSON arrays. */
function sameShape(a: Value, b: Value): boolean {
  if (a instanceof RSet !== b instanceof RSet) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.every((x, i) => sameShape(x, b[i]!));
  if (a instanceof RObject && b instanceof RObject) return [...a.entries()].every(([k, v]) => b.get(k) !== undefined && sameShape(v, b.get(k)!));
  return true;
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

function show(vs: Value[]): string {
  const s = JSON.stringify(vs.map(toJson), big);
  return s.length > 300 ? s.slice(0, 300) + '…' : s;
}
