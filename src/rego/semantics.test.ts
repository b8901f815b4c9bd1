/** Rego semantics beyond the conformance corpus: with, else, functions, v0 syntax, scheduling, prints, host builtins. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from './index.js';

function one(src: string, query: string, input?: unknown, data?: unknown): unknown {
  return compile({ 'm.rego': src }).evalJson(query, { input, data });
}

describe('Policy.evalJson rule semantics', () => {
  test('takes the first else branch whose body succeeds', () => {
    const src = 'package p\nimport rego.v1\nlevel := "high" if input.x > 10\nelse := "mid" if input.x > 5\nelse := "low"';
    assert.equal(one(src, 'data.p.level', { x: 11 }), 'high');
    assert.equal(one(src, 'data.p.level', { x: 7 }), 'mid');
    assert.equal(one(src, 'data.p.level', { x: 1 }), 'low');
  });
  test('replaces input, data and functions with `with`', () => {
    const src =
      'package p\nimport rego.v1\nf(x) := x + 1\nv := f(1)\nr := input.a\nd := data.cfg.n\n' +
      'a := x if x := r with input.a as 7\nb := x if x := d with data.cfg.n as 9\nc := x if x := v with f as g\ng(x) := x * 10';
    const out = one(src, 'data.p', { a: 1 }, { cfg: { n: 2 } }) as Record<string, unknown>;
    assert.deepEqual([out.a, out.b, out.c, out.r, out.d, out.v], [7, 9, 10, 1, 2, 2]);
  });
  test('replaces builtins with `with`, by a function or a value', () => {
    const src = 'package p\nimport rego.v1\nmock(_) := 42\na := x if x := count([1, 2]) with count as mock\nb := x if x := count([1, 2]) with count as 7\nd := x if x := time.now_ns() with time.now_ns as 5';
    assert.deepEqual(one(src, 'data.p'), { a: 42, b: 7, d: 5 });
  });
  test('raises Conflict when a function returns two values for one input', () => {
    const p = compile({ 'm.rego': 'package p\nimport rego.v1\nf(x) := 1 if x > 0\nf(x) := 2 if x > 1\nv := f(input.n)' });
    assert.equal(p.evalJson('data.p.v', { input: { n: 1 } }), 1);
    assert.throws(() => p.evalJson('data.p.v', { input: { n: 2 } }), { code: 'ERR_CONFLICT' });
  });
  test('parses v0 modules with future keywords, partial sets and multiple bodies', () => {
    const src = 'package p\nimport future.keywords.in\ndeny[msg] { some c in input.cs; c.priv; msg := sprintf("%s is privileged", [c.name]) }\nok { count(deny) == 0 } { input.force }';
    assert.deepEqual(one(src, 'data.p.deny', { cs: [{ name: 'a', priv: true }, { name: 'b' }] }), ['a is privileged']);
    assert.equal(one(src, 'data.p.ok', { cs: [{ name: 'a', priv: true }], force: true }), true);
    assert.equal(one(src, 'data.p.ok', { cs: [{ name: 'a', priv: true }] }), undefined);
  });
  test('reorders body expressions so variables are bound before use', () => {
    assert.equal(one('package p\nv := y if {\n  y := x * 2\n  x := input.n\n}', 'data.p.v', { n: 4 }), 8);
  });
  test('lets `some` in a comprehension shadow an outer variable', () => {
    assert.deepEqual(one('package p\nimport rego.v1\nr := ys if {\n  x := 10\n  ys := [x | some x in [1, 2]]\n}', 'data.p.r'), [1, 2]);
  });
  test('evaluates every over arrays and fails on an empty-but-scalar domain', () => {
    const src = 'package p\nimport rego.v1\nall_pos if every x in input.xs { x > 0 }';
    assert.equal(one(src, 'data.p.all_pos', { xs: [1, 2] }), true);
    assert.equal(one(src, 'data.p.all_pos', { xs: [1, -2] }), undefined);
    assert.equal(one(src, 'data.p.all_pos', { xs: 3 }), undefined);
  });
  test('builds nested objects from ref-head rules, with sets at the leaves for contains', () => {
    const src = 'package p\nimport rego.v1\nroles[u][r] := true if { some u, rs in input.users; some r in rs }\nby_team[t] contains u if some u, t in input.team';
    const out = one(src, 'data.p', { users: { a: ['x', 'y'], b: ['x'] }, team: { a: 'red', b: 'red', c: 'blue' } });
    assert.deepEqual(out, { by_team: { blue: ['c'], red: ['a', 'b'] }, roles: { a: { x: true, y: true }, b: { x: true } } });
  });
  test('handles raw strings, comprehensions and set operations', () => {
    const src = 'package p\nimport rego.v1\nr := `a\\b`\ns := {x | some x in [3, 1, 3]} | {2}\no := {k: v | some k, v in {"b": 1, "a": 2}; v > 1}';
    assert.deepEqual(one(src, 'data.p'), { o: { a: 2 }, r: 'a\\b', s: [1, 2, 3] });
  });
});

describe('Policy.eval options', () => {
  test('sends print output with its source position to the print sink', () => {
    const lines: string[] = [];
    compile({ 'm.rego': 'package p\nimport rego.v1\nv if {\n  print("n =", input.n, input.missing)\n}' }).evalJson('data.p.v', { input: { n: 1 }, print: (l) => lines.push(l) });
    assert.deepEqual(lines, ['m.rego:4: n = 1 <undefined>']);
  });
  test('takes time.now_ns from the caller clock and keeps it stable within a query', () => {
    const p = compile({ 'm.rego': 'package p\nimport rego.v1\na := time.now_ns()\nb := time.now_ns()' });
    let t = 1_700_000_000_000;
    const out = p.evalJson('data.p', { now: () => t++ }) as { a: number; b: number };
    assert.equal(out.a, out.b);
    assert.equal(BigInt(out.a), 1_700_000_000_000_000_000n);
  });
  test('gives host builtins JSON arguments and treats an undefined result as undefined', () => {
    const p = compile({ 'm.rego': 'package p\nimport rego.v1\nv := lookup(input.k)' }, { builtins: { lookup: { arity: 1, fn: (k) => (k === 'a' ? { x: [1] } : undefined) } } });
    assert.deepEqual(p.evalJson('data.p.v', { input: { k: 'a' } }), { x: [1] });
    assert.equal(p.evalJson('data.p.v', { input: { k: 'b' } }), undefined);
  });
  test('fails on builtin errors by default and ignores them when strictBuiltinErrors is false', () => {
    const p = compile({ 'm.rego': 'package p\nv := to_number(input.s)' });
    assert.throws(() => p.evalJson('data.p.v', { input: { s: 'x' } }), { code: 'ERR_MALFORMED_INPUT' });
    assert.equal(p.evalJson('data.p.v', { input: { s: 'x' }, strictBuiltinErrors: false }), undefined);
  });
  test('needs a clock for a wall-time limit', () => {
    const p = compile({ 'm.rego': 'package p\nv := 1' });
    assert.throws(() => p.evalJson('data.p.v', { limits: { timeoutMs: 10 } }), { code: 'ERR_CONFIG' });
  });
});

describe('compile parse errors', () => {
  const cases: [string, string, RegExp][] = [
    ['unterminated string', 'package p\nx := "abc\n', /m\.rego:2:6: unterminated string/],
    ['bad escape', 'package p\nx := "\\q"', /m\.rego:2:7: invalid escape/],
    ['stray character', 'package p\nx := 1 @ 2', /m\.rego:2:8: unexpected character/],
    ['missing closing brace', 'package p\nimport rego.v1\nx if {\n  true\n', /m\.rego:5:1: expected "}"/],
    ['v1 body without if', 'package p\nimport rego.v1\nx {\n  true\n}', /m\.rego:3:3: rego\.v1 requires `if`/],
    ['truncated expression', 'package p\nx := 1 +', /m\.rego:2:9: expected a term/],
    ['unknown import root', 'package p\nimport foo.bar', /m\.rego:2:\d+: unsupported import/],
  ];
  for (const [name, src, re] of cases) {
    test(`reports ${name} with line and column`, () => {
      assert.throws(() => compile({ 'm.rego': src }), (err: Error) => re.test(err.message) && (err as { code?: string }).code === 'ERR_MALFORMED_INPUT');
    });
  }
  test('reports an unknown function when the query runs', () => {
    assert.throws(() => one('package p\nv := nope(1)', 'data.p.v'), /unknown function nope/);
  });
  test('reports recursion between rules', () => {
    assert.throws(() => one('package p\na := b\nb := a', 'data.p.a'), /recursion/);
  });
});

describe('standard builtins', () => {
  const q = (expr: string) => compile({ 'm.rego': `package p\nimport rego.v1\nv := ${expr}` }).evalJson('data.p.v');
  test('semver.compare follows semver precedence, including pre-releases', () => {
    assert.equal(q('semver.compare("1.9.10", "1.10.0")'), -1);
    assert.equal(q('semver.compare("1.0.0", "1.0.0-rc.1")'), 1);
    assert.equal(q('semver.compare("1.0.0-alpha.2", "1.0.0-alpha.10")'), -1);
    assert.equal(q('semver.compare("1.0.0+build.5", "1.0.0")'), 0);
    assert.equal(q('semver.is_valid("01.0.0")'), false);
  });
  test('sprintf renders the verbs policies use', () => {
    assert.equal(q('sprintf("%s=%d %v %.2f %x", ["a", 5, [1, {"b": 2}], 3.14159, 255])'), 'a=5 [1, {"b": 2}] 3.14 ff');
  });
  test('object and string helpers behave as OPA documents them', () => {
    assert.deepEqual(q('object.union_n([{"a": {"x": 1}}, {"a": {"y": 2}, "b": 3}])'), { a: { x: 1, y: 2 }, b: 3 });
    assert.equal(q('object.get({"a": {"b": 1}}, ["a", "b"], 0)'), 1);
    assert.equal(q('object.get({"a": {"b": 1}}, ["a", "c"], 0)'), 0);
    assert.deepEqual(q('[trim_left("xxabc", "x"), trim_suffix("a.rego", ".rego"), substring("hello", 1, 3), concat("/", ["a", "b"])]'), ['abc', 'a', 'ell', 'a/b']);
    assert.equal(q('regex.match(`^sha256:[0-9a-f]{4}$`, "sha256:00ff")'), true);
    assert.equal(q('glob.match("*.example.com", ["."], "a.b.example.com")'), false);
  });
  test('encodes and decodes base64, hex and JSON with sorted keys', () => {
    assert.deepEqual(q('[base64.encode("hi"), base64url.encode_no_pad("??>"), hex.encode("A"), json.marshal({"b": 1, "a": {2}})]'), ['aGk=', 'Pz8-', '41', '{"a":[2],"b":1}']);
    assert.deepEqual(q('json.unmarshal(base64.decode("eyJ4IjogWzEsIDJdfQ=="))'), { x: [1, 2] });
  });
});
