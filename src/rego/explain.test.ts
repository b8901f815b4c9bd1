/** Explain mode: which rule bodies succeeded and, for failed ones, the first failing expression. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from './index.js';

const policy = compile({
  'p.rego': 'package p\nimport rego.v1\n\nallow if {\n  input.user == "alice"\n  input.level > 3\n}\nallow if {\n  input.admin\n}\n',
});

describe('Policy.eval with explain', () => {
  test('reports the first failing expression of each failed body with its operands', () => {
    const r = policy.eval('data.p.allow', { input: { user: 'alice', level: 2 }, explain: true });
    assert.equal(r.value, undefined);
    assert.deepEqual(r.explain, [
      { rule: 'data.p.allow', at: 'p.rego:4:1', succeeded: false, failure: { at: 'p.rego:6:3', expr: '>', operands: [2, 3] } },
      { rule: 'data.p.allow', at: 'p.rego:8:1', succeeded: false, failure: { at: 'p.rego:9:3', expr: 'term', operands: ['<undefined>'] } },
    ]);
  });
  test('marks a succeeding body and records no failure for it', () => {
    const r = policy.eval('data.p.allow', { input: { user: 'alice', level: 5 }, explain: true });
    assert.equal(r.value, true);
    assert.deepEqual(r.explain?.[0], { rule: 'data.p.allow', at: 'p.rego:4:1', succeeded: true });
  });
  test('is absent unless requested', () => {
    assert.equal(policy.eval('data.p.allow', { input: {} }).explain, undefined);
  });
  test('describes a failed function call with its arguments', () => {
    const p = compile({ 'q.rego': 'package q\nimport rego.v1\nok if startswith(input.image, "registry.example/")' });
    const r = p.eval('data.q.ok', { input: { image: 'docker.io/x' }, explain: true });
    assert.deepEqual(r.explain?.[0]?.failure, { at: 'q.rego:3:7', expr: 'startswith()', operands: ['docker.io/x', 'registry.example/'] });
  });
  test('shows the negated expression and its operands when a `not` fails', () => {
    const p = compile({ 'n.rego': 'package n\nimport rego.v1\nok if {\n  not input.debug == true\n}' });
    const r = p.eval('data.n.ok', { input: { debug: true }, explain: true });
    assert.deepEqual(r.explain?.[0]?.failure, { at: 'n.rego:4:3', expr: 'not ==', operands: [true, true] });
  });
});
