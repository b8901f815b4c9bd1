/** Core semantics of compile/eval: undefined vs false, conflicts, errors with positions, limits. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from './index.js';

function errCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('compile', () => {
  test('reports a parse error with line and column', () => {
    assert.throws(() => compile({ 'bad.rego': 'package p\n\nallow if {\n  input.x ==\n}\n' }), (err: Error) => {
      assert.match(err.message, /bad\.rego:5:1/);
      assert.equal((err as { code?: string }).code, 'ERR_MALFORMED_INPUT');
      return true;
    });
  });
  test('requires a package declaration', () => {
    assert.throws(() => compile({ 'x.rego': 'allow := true' }), /x\.rego:1:1/);
  });
  test('lists the packages of the modules', () => {
    assert.deepEqual(compile({ a: 'package a.b\nx := 1', c: 'package c\ny := 2' }).packages, ['a.b', 'c']);
  });
});

describe('Policy.evalJson', () => {
  test('distinguishes undefined from false', () => {
    const p = compile({ p: 'package p\nimport rego.v1\nt if input.x == 1\ndefault f := false\nf if input.x == 1' });
    assert.equal(p.evalJson('data.p.t', { input: { x: 2 } }), undefined);
    assert.equal(p.evalJson('data.p.f', { input: { x: 2 } }), false);
    assert.equal(p.evalJson('data.p.t', { input: { x: 1 } }), true);
  });
  test('raises Conflict when complete-rule definitions disagree', () => {
    const p = compile({ p: 'package p\nimport rego.v1\nx := 1 if input.a\nx := 2 if input.b' });
    assert.equal(p.evalJson('data.p.x', { input: { a: true } }), 1);
    assert.equal(errCode(() => p.evalJson('data.p.x', { input: { a: true, b: true } })), 'ERR_CONFLICT');
  });
  test('accumulates partial set and object rules, sorted as OPA does', () => {
    const p = compile({ p: 'package p\nimport rego.v1\ns contains x if some x in input.xs\no[k] := v if some k, v in input.m' });
    assert.deepEqual(p.evalJson('data.p.s', { input: { xs: [3, 'a', 1, 3, null] } }), [null, 1, 3, 'a']);
    assert.deepEqual(p.evalJson('data.p.o', { input: { m: { b: 1, a: 2 } } }), { a: 2, b: 1 });
  });
  test('keeps big integers exact', () => {
    const p = compile({ p: 'package p\nx := 9007199254740993 + 2\ny := 12345678901234567890 * 10' });
    assert.equal(p.evalJson('data.p.x'), 9007199254740995n);
    assert.equal(p.evalJson('data.p.y'), 123456789012345678900n);
  });
  test('stops a runaway evaluation with LimitExceeded (steps)', () => {
    const p = compile({ p: 'package p\nimport rego.v1\nn := count([x | some a in numbers.range(1, 300); some b in numbers.range(1, 300); x := a * b])' });
    assert.equal(errCode(() => p.evalJson('data.p.n', { limits: { maxSteps: 10_000 } })), 'ERR_LIMIT_EXCEEDED');
    assert.equal(p.evalJson('data.p.n'), 90_000);
  });
  test('stops a runaway evaluation with LimitExceeded (wall time)', () => {
    const p = compile({ p: 'package p\nimport rego.v1\nn := count([x | some a in numbers.range(1, 2000); some b in numbers.range(1, 2000); x := a * b])' });
    let t = 0;
    const now = () => (t += 1);
    assert.equal(errCode(() => p.evalJson('data.p.n', { limits: { timeoutMs: 50 }, now })), 'ERR_LIMIT_EXCEEDED');
  });
  test('rejects an input nested deeper than the document limit with MalformedInput', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const p = compile({ p: 'package p\nx := input' });
    assert.equal(errCode(() => p.evalJson('data.p.x', { input: deep })), 'ERR_MALFORMED_INPUT');
  });
  test('rejects a policy nested too deeply with a positioned MalformedInput', () => {
    const src = 'package p\nx := ' + '['.repeat(500) + ']'.repeat(500);
    assert.throws(() => compile({ 'deep.rego': src }), /deep\.rego:2:\d+: nesting deeper than 200/);
  });
});
