import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compile } from './index.js';
import { MEMO_FIRST_PAUSE, MEMO_MISSES_BEFORE_PAUSE, sameAsJson } from './memo.js';
import { fromJson, RSet } from './value.js';

const POLICY = `package t
import rego.v1

default allow := false
allow if input.a == 1
allow if {
	some x in input.b.c
	x > 2
}
n := count(input.b.c)
keys := [k | some k, _ in input.b]
first := input.b.c[0]
at := input.b.c[input.i]
whole := input if input.w
g := f(input.a)
f(x) := x + 1 if is_number(x)
h := scaled(input.a)
label := sprintf("%v-%v", [input.a, input.s])
`;

const scale = { by: 2 };
const builtins = { scaled: { arity: 1, fn: (x: unknown) => (typeof x === 'number' ? x * scale.by : undefined) } };

const scalar = fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom('x', 'y', ''), fc.boolean(), fc.constant(null));
const inputArb = fc.record(
  {
    a: fc.oneof(scalar, fc.constant(undefined)),
    b: fc.oneof(fc.record({ c: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 4 }), d: scalar }, { requiredKeys: [] }), scalar),
    i: fc.integer({ min: -1, max: 4 }),
    s: scalar,
    w: fc.boolean(),
    nonce: fc.string(),
  },
  { requiredKeys: [] },
);

const QUERIES = ['data.t', 'data.t.allow', 'data.t.n', 'data.t.at', 'data.t.label'];

describe('evalJson with memo', () => {
  test('gives exactly what a plain evaluation gives, over any sequence of inputs and host answers (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(inputArb, fc.constantFrom(2, 3)), { minLength: 1, maxLength: 25 }), (calls) => {
        const memoized = compile({ 't.rego': POLICY }, { builtins });
        const plain = compile({ 't.rego': POLICY }, { builtins });
        for (const [input, by] of calls) {
          scale.by = by;
          for (const q of QUERIES) {
            let expected: unknown;
            let expectedError: unknown;
            try {
              expected = plain.evalJson(q, { input, builtins });
            } catch (err) {
              expectedError = err;
            }
            if (expectedError) {
              assert.throws(() => memoized.evalJson(q, { input, builtins, memo: true }), { message: (expectedError as Error).message });
            } else {
              assert.deepEqual(memoized.evalJson(q, { input, builtins, memo: true }), expected, `${q} on ${JSON.stringify(input)} (scale ${by})`);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('answers from memory when only unread parts of the input differ, with one shared frozen result', () => {
    const p = compile({ 't.rego': POLICY }, { builtins });
    scale.by = 2;
    const first = p.evalJson('data.t', { input: { a: 1, b: { c: [3] }, nonce: 'n1' }, builtins, memo: true }) as Record<string, unknown>;
    const second = p.evalJson('data.t', { input: { a: 1, b: { c: [3] }, nonce: 'n2' }, builtins, memo: true });
    assert.equal(second, first, 'the same object: answered from memory');
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.keys));
    const other = p.evalJson('data.t', { input: { a: 2, b: { c: [3] }, nonce: 'n2' }, builtins, memo: true }) as Record<string, unknown>;
    assert.notEqual(other, first);
    assert.equal(other.g, 3);
  });

  test('calls the host builtins again and evaluates anew when one answers differently', () => {
    const p = compile({ 't.rego': POLICY }, { builtins });
    scale.by = 2;
    assert.equal(p.evalJson('data.t.h', { input: { a: 5 }, builtins, memo: true }), 10);
    scale.by = 3;
    assert.equal(p.evalJson('data.t.h', { input: { a: 5 }, builtins, memo: true }), 15);
  });

  test('never remembers evaluations that read the clock, draw random numbers or use with', () => {
    let now = 1_000;
    const p = compile({
      'v.rego': `package v
import rego.v1
t := time.now_ns()
r := rand.intn("k", 1000000)
w := x if x := input.a with input.a as input.b
`,
    });
    assert.equal(p.evalJson('data.v.t', { now: () => now, memo: true }), 1_000_000_000);
    now = 2_000;
    assert.equal(p.evalJson('data.v.t', { now: () => now, memo: true }), 2_000_000_000);
    const draws = new Set(Array.from({ length: 5 }, () => p.evalJson('data.v.r', { memo: true })));
    assert.ok(draws.size > 1, 'a new draw per evaluation');
    assert.equal(p.evalJson('data.v.w', { input: { a: 1, b: 2 }, memo: true }), 2);
    assert.equal(p.evalJson('data.v.w', { input: { a: 1, b: 3 }, memo: true }), 3);
  });

  test('keys the memory by data and evaluates again under a smaller step limit', () => {
    const p = compile({ 'd.rego': 'package d\nimport rego.v1\nallow if data.plugin == "resource"\nsum := s if s := count([x | some x in numbers.range(1, 200)])' });
    assert.equal(p.evalJson('data.d.allow', { data: { plugin: 'resource' }, memo: true }), true);
    assert.equal(p.evalJson('data.d.allow', { data: { plugin: 'other' }, memo: true }), undefined);
    assert.equal(p.evalJson('data.d.sum', { memo: true }), 200);
    assert.throws(() => p.evalJson('data.d.sum', { memo: true, limits: { maxSteps: 10 } }), { code: 'ERR_LIMIT_EXCEEDED' });
  });

  test('pauses after a run of misses, longer each time, and resumes remembering afterwards', () => {
    const p = compile({ 'p.rego': 'package p\nimport rego.v1\nv := input.x' });
    const ev = (x: number) => p.evalJson('data.p', { input: { x }, memo: true }) as object;
    for (let i = 0; i < MEMO_MISSES_BEFORE_PAUSE; i++) ev(1000 + i);
    // Paused: answers are evaluated afresh (not the shared frozen objects), even for a known input.
    const a = ev(1000);
    assert.equal(Object.isFrozen(a), false);
    for (let i = 1; i < MEMO_FIRST_PAUSE; i++) ev(i);
    // The pause is over; another run of misses pauses for twice as long.
    for (let i = 0; i < MEMO_MISSES_BEFORE_PAUSE; i++) ev(5000 + i);
    for (let i = 0; i < 2 * MEMO_FIRST_PAUSE; i++) assert.equal(Object.isFrozen(ev(7)), false);
    // Then the memo remembers again, and a hit resets the pause length.
    const b = ev(7);
    assert.equal(ev(7), b);
    assert.ok(Object.isFrozen(b));
  });

  test('is ignored with explain or print', () => {
    const p = compile({ 'p.rego': 'package p\nimport rego.v1\nx := 1 if print("hi")' });
    const lines: string[] = [];
    p.evalJson('data.p.x', { memo: true, print: (l) => lines.push(l) });
    p.evalJson('data.p.x', { memo: true, print: (l) => lines.push(l) });
    assert.equal(lines.length, 2);
  });
});

describe('sameAsJson', () => {
  test('agrees with fromJson on JSON values (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same = sameAsJson(fromJson(a), b);
        return same === (JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b)) && !hasNegativeZeroMismatch(a, b));
      }),
      { numRuns: 300 },
    );
  });

  test('is false for values it does not compare (sets, maps, typed arrays, holes)', () => {
    assert.equal(sameAsJson(fromJson({ a: 1 }), new Map([['a', 1]])), false);
    assert.equal(sameAsJson(new RSet([1]), new Set([1])), false);
    assert.equal(sameAsJson(fromJson([1]), new Uint8Array([1])), false);
    assert.equal(sameAsJson(fromJson([1, 2]), [1, undefined]), false);
    assert.equal(sameAsJson(1, 1n), false);
    assert.equal(sameAsJson(0, -0), false);
    assert.equal(sameAsJson(fromJson({ a: 1 }), { a: 1, b: undefined }), true, 'undefined members are absent, as fromJson has it');
  });
});

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]));
  return x;
}

function hasNegativeZeroMismatch(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return !Object.is(a, b) && a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.some((x, i) => hasNegativeZeroMismatch(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') return Object.keys(a).some((k) => hasNegativeZeroMismatch((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  return false;
}
