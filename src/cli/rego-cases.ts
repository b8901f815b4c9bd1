/**
 * Runs regorus-format Rego test cases (YAML: `cases: [{note, modules, data, input, query,
 * want_result | no_result | error, want_prints, skip}]`) against our engine. Used by
 * `coco policy test` and by the conformance test.
 * @module
 */
import { parse as parseYaml } from 'yaml';
import { compile, equal, fromJson, RObject, RSet, toJson, type Value } from '../rego/index.js';

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
  // Maps keep non-string keys (`{null: 1, 7: 2}` in expected objects).
  const options = { intAsBigInt: true, strict: false, mapAsMap: true };
  let doc: unknown;
  try {
    doc = parseYaml(text, options);
  } catch {
    doc = parseYaml(indentFlowSequences(text), options);
  }
  const cases = doc instanceof Map ? doc.get('cases') : undefined;
  if (!Array.isArray(cases)) throw new Error('YAML has no `cases` list');
  return cases.map((c: unknown) => {
    if (!(c instanceof Map)) throw new Error('each case must be a mapping');
    const out = Object.fromEntries(c) as Record<string, unknown>;
    if (Array.isArray(out.modules)) out.modules = out.modules.map(String);
    return out as unknown as RegoCase;
  });
}

/**
 * serde_yaml (regorus) accepts multi-line flow sequences whose items are not indented past the
 * key; the `yaml` package does not. Indent such items by two spaces.
 */
function indentFlowSequences(text: string): string {
  const lines = text.split('\n');
  let open: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    if (open !== undefined) {
      if (line.trim() !== '' && indent <= open) lines[i] = ' '.repeat(open + 2) + line.trimStart();
      if (line.trim().startsWith(']')) open = undefined;
    } else if (/:\s*\[\s*$/.test(line)) open = indent;
  }
  return lines.join('\n');
}

/** Expected values: `set!:` marks a set, `object!:` an object with non-string keys, `many!:` a list of results. */
export function expectedValue(x: unknown): Value {
  if (typeof x === 'bigint') return Number.isSafeInteger(Number(x)) ? Number(x) : x;
  if (Array.isArray(x)) return x.map(expectedValue);
  if (x instanceof Map) {
    if (x.size === 1 && x.has('set!')) return new RSet(((x.get('set!') as unknown[]) ?? []).map(expectedValue));
    if (x.size === 1 && x.has('object!')) {
      const entries = (x.get('object!') as unknown[]) ?? [];
      return RObject.fromEntries(entries.map((e) => [expectedValue((e as Map<string, unknown>).get('key')), expectedValue((e as Map<string, unknown>).get('value'))]));
    }
    return RObject.fromEntries([...x.entries()].map(([k, v]) => [expectedValue(k), expectedValue(v)]));
  }
  if (x && typeof x === 'object') {
    return RObject.fromEntries(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, expectedValue(v)]));
  }
  return fromJson(x);
}

function isMany(x: unknown): x is Map<string, unknown[]> {
  return x instanceof Map && x.size === 1 && x.has('many!');
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
    const inputs = isMany(c.input) ? c.input.get('many!')! : [c.input];
    results = [];
    for (const input of inputs) {
      const r = policy.eval(c.query, { strictBuiltinErrors: c.strict !== false, input: input === undefined ? undefined : expectedValue(input), data: c.data === undefined ? {} : expectedValue(c.data), print: (l) => prints.push(l), now: Date.now });
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
  const want = isMany(c.want_result) ? c.want_result.get('many!')!.map(expectedValue) : [expectedValue(c.want_result)];
  const got = results;
  const same = want.length === got.length && want.every((w, i) => sameValue(w, got[i]!));
  return same ? { note: c.note, status: 'pass' } : { note: c.note, status: 'fail', detail: `want ${show(want)}, got ${show(got)}` };
}

function sameValue(a: Value, b: Value): boolean {
  return equal(a, b) && sameShape(a, b);
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
