/**
 * Property tests: mutated policies and random inputs never crash the engine (only CocoError
 * subclasses escape), never run past the step limit, and the value order is a total order.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isCocoError } from '../core/index.js';
import { fixtureText } from '../../test/support/fixtures.js';
import { compile, fromJson, type Policy } from './index.js';
import { compare, equal } from './value.js';

const EAR = fixtureText('trustee-policies/ear_default_policy_cpu.rego');
const RESOURCE = fixtureText('trustee-policies/resource/default.rego');
const LIMITS = { maxSteps: 20_000 };

/** Run f; only our error family may escape. */
function tolerant(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!isCocoError(err)) throw err;
  }
}

function mutate(src: string, edits: { pos: number; kind: number; ch: string }[]): string {
  let s = src;
  for (const e of edits) {
    const i = e.pos % (s.length + 1);
    if (e.kind === 0) s = s.slice(0, i) + s.slice(i + 1);
    else if (e.kind === 1) s = s.slice(0, i) + e.ch + s.slice(i);
    else if (e.kind === 2) s = s.slice(0, i) + e.ch + s.slice(i + 1);
    else s = s.slice(0, i);
  }
  return s;
}

const edit = fc.record({ pos: fc.nat(), kind: fc.integer({ min: 0, max: 3 }), ch: fc.constantFrom('{', '}', '[', ']', '(', ')', '"', '`', ':', '=', ' ', '\n', 'x', '_', '1', '.', ',', '|', '-', '#') });

describe('compile (fuzz)', () => {
  test('mutated upstream policies either compile or raise MalformedInput, and evaluate within limits', () => {
    fc.assert(
      fc.property(fc.constantFrom(EAR, RESOURCE), fc.array(edit, { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 3 }), (src, edits, input) => {
        let policy: Policy | undefined;
        try {
          policy = compile({ 'm.rego': mutate(src, edits) }, { builtins: { query_reference_value: { arity: 1, fn: () => [1] } } });
        } catch (err) {
          assert.ok(isCocoError(err), `non-library error: ${String(err)}`);
          return;
        }
        for (const q of ['data.policy', 'data.policy.allow', 'data.policy.trust_claims']) tolerant(() => policy!.eval(q, { input, limits: LIMITS }));
      }),
      { numRuns: 300 },
    );
  });
  test('random token soup never crashes the parser', () => {
    const token = fc.constantFrom('package', 'p', 'import', 'rego.v1', 'if', 'else', 'default', 'some', 'every', 'in', 'not', 'with', 'as', 'contains', ':=', '=', '==', '{', '}', '[', ']', '(', ')', ',', ';', '|', 'x', 'input', 'data', '1', '"s"', '\n', '+', '.', '`r`');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), (toks) => {
        tolerant(() => {
          const p = compile({ 'm.rego': 'package p\n' + toks.join(' ') });
          p.eval('data.p', { limits: LIMITS });
        });
      }),
      { numRuns: 500 },
    );
  });
});

describe('Policy.eval (fuzz)', () => {
  const ear = compile({ 'ear.rego': EAR }, { builtins: { query_reference_value: { arity: 1, fn: (id) => (id === 'svn' ? [1, 2] : null) } } });
  const resource = compile({ 'r.rego': RESOURCE });
  test('random inputs give a trust-claims object or a library error, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 2 }), (input, sample) => {
        tolerant(() => {
          const claims = ear.evalJson('data.policy.trust_claims', { input, limits: LIMITS });
          assert.equal(typeof claims, 'object');
        });
        tolerant(() => {
          const claims = ear.evalJson('data.policy.trust_claims', { input: { sample }, limits: LIMITS }) as Record<string, number>;
          assert.ok([33, 3].includes(claims.executables!));
        });
        const allow = resource.evalJson('data.policy.allow', { input, data: { plugin: 'resource' }, limits: LIMITS });
        assert.equal(typeof allow, 'boolean');
      }),
      { numRuns: 300 },
    );
  });
  test('a runaway policy always stops with LimitExceeded', () => {
    const p = compile({ 'm.rego': 'package p\nimport rego.v1\nn := count([1 | some a in numbers.range(1, input.n); some b in numbers.range(1, input.n)])' });
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 2000 }), (n) => {
        assert.throws(() => p.evalJson('data.p.n', { input: { n }, limits: { maxSteps: 5_000 } }), { code: 'ERR_LIMIT_EXCEEDED' });
      }),
      { numRuns: 20 },
    );
  });
});

describe('compare', () => {
  const value = fc.jsonValue({ maxDepth: 3 }).map(fromJson);
  test('is a total order consistent with equality', () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        assert.equal(Math.sign(compare(a, b)) + Math.sign(compare(b, a)), 0);
        assert.equal(compare(a, b) === 0, equal(a, b));
        if (compare(a, b) <= 0 && compare(b, c) <= 0) assert.ok(compare(a, c) <= 0);
      }),
      { numRuns: 500 },
    );
  });
});
