import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { regoPolicyEngine } from '../rego-engine.js';
import { MAX_OPERAND_CHARS, explainRule, formatExplanation, operandText, sourceAt, type TraceContext } from './explain.js';
import type { ExplainedBody } from './policy-engine.js';

const TEXT = `package policy
import rego.v1
default executables := 33
rv(name) := query_reference_value(name)
executables := 3 if {
\tinput.other.digest in rv("other_digest") # another TEE
}
executables := 3 if {
\tinput.tpm.pcr11 in rv("tpm_pcr11")   # "#" inside a comment
\tinput.tpm.ak in rv("aks")
}
executables := 4 if {
\thelper
}
helper if {
\tinput.tpm.pcr11 == "x#y"
}
`;

function trace(input: unknown, rv: Record<string, unknown>): { trace: readonly ExplainedBody[]; ctx: TraceContext } {
  const queried = new Set<string>();
  const builtins = { query_reference_value: { arity: 1, fn: (id: unknown) => (queried.add(id as string), rv[id as string]) } };
  const policy = regoPolicyEngine.compile({ 'policy.rego': TEXT }, { builtins });
  const out = policy.eval!('data.policy.executables', { input, builtins, explain: true }).explain ?? [];
  return { trace: out, ctx: { text: TEXT, pkg: 'data.policy', queried } };
}

describe('sourceAt', () => {
  test('quotes the expression from its column to the end of the line without the comment', () => {
    assert.equal(sourceAt(TEXT, 'policy.rego:9:2'), 'input.tpm.pcr11 in rv("tpm_pcr11")');
    assert.equal(sourceAt(TEXT, 'policy.rego:16:2'), 'input.tpm.pcr11 == "x#y"');
  });
  test('gives undefined for positions outside the text, blank lines or no text', () => {
    assert.equal(sourceAt(TEXT, 'policy.rego:999:1'), undefined);
    assert.equal(sourceAt(TEXT, 'policy.rego:9:200'), undefined);
    assert.equal(sourceAt(undefined, 'policy.rego:9:2'), undefined);
    assert.equal(sourceAt(TEXT, 'no position'), undefined);
  });
  test('shortens very long lines', () => {
    const s = sourceAt(`x == "${'a'.repeat(500)}"`, 'p.rego:1:1')!;
    assert.ok(s.length <= 160 && s.endsWith('…'));
  });
});

describe('operandText', () => {
  test('writes compact JSON and keeps the undefined marker as is', () => {
    assert.equal(operandText(['a', 1]), '["a",1]');
    assert.equal(operandText('<undefined>'), '<undefined>');
    assert.equal(operandText(12n), '"12"');
  });
  test('shortens long values to the limit with an ellipsis', () => {
    const s = operandText('z'.repeat(1000));
    assert.equal(s.length, MAX_OPERAND_CHARS);
    assert.ok(s.endsWith('…'));
  });
  test('never throws and never exceeds the limit (property)', () => {
    fc.assert(fc.property(fc.anything(), (v) => operandText(v).length <= MAX_OPERAND_CHARS));
  });
});

describe('explainRule', () => {
  test('names the expression whose operands all had values, with the reference-value id', () => {
    const { trace: t, ctx } = trace({ tpm: { pcr11: 'bb', ak: 'k' } }, { tpm_pcr11: ['aa'], aks: ['k'], other_digest: ['o'] });
    assert.deepEqual(explainRule(t, 'data.policy.executables', ctx), [
      { at: 'policy.rego:9:2', expression: 'input.tpm.pcr11 in rv("tpm_pcr11")', operator: 'in', operands: ['"bb"', '["aa"]'], referenceValues: ['tpm_pcr11'] },
      { at: 'policy.rego:16:2', expression: 'input.tpm.pcr11 == "x#y"', operator: '==', operands: ['"bb"', '"x#y"'], referenceValues: [] },
    ]);
  });
  test('follows a failing helper rule to its own failing expression', () => {
    const { trace: t, ctx } = trace({ tpm: { pcr11: 'aa', ak: 'other' } }, { tpm_pcr11: ['aa'], aks: ['k'] });
    const found = explainRule(t, 'data.policy.executables', ctx);
    assert.deepEqual(found.map((f) => f.expression), ['input.tpm.ak in rv("aks")', 'input.tpm.pcr11 == "x#y"']);
  });
  test('prefers a comparison whose operands all had values, and ignores bodies about absent evidence', () => {
    const { trace: t, ctx } = trace({ tpm: { pcr11: 'bb', ak: 'k' } }, { other_digest: ['o'] });
    const found = explainRule(t, 'data.policy.executables', ctx);
    assert.equal(found[0]!.expression, 'input.tpm.pcr11 == "x#y"');
    assert.ok(!found.some((f) => f.expression.startsWith('input.other')));
  });
  test('is empty when no body applied to the input at all', () => {
    const { trace: t, ctx } = trace({ sample: {} }, {});
    assert.deepEqual(explainRule(t, 'data.policy.executables', ctx), []);
  });
  test('copes with arbitrary traces (property)', () => {
    const body = fc.record({
      rule: fc.constantFrom('data.policy.executables', 'data.policy.helper', 'data.policy.x'),
      at: fc.string(),
      succeeded: fc.boolean(),
      failure: fc.option(fc.record({ at: fc.string(), expr: fc.constantFrom('term', 'in', '=='), operands: fc.array(fc.oneof(fc.constant('<undefined>'), fc.jsonValue())) }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(body, { maxLength: 20 }), fc.string(), (bodies, text) => {
        const clean = bodies.map((b) => (b.failure ? b : { rule: b.rule, at: b.at, succeeded: b.succeeded })) as ExplainedBody[];
        const out = explainRule(clean, 'data.policy.executables', { text, pkg: 'data.policy', queried: new Set(['x']) });
        return out.length <= 3 && out.every((f) => f.operands.every((o) => o.length <= MAX_OPERAND_CHARS));
      }),
    );
  });
});

describe('formatExplanation', () => {
  test('writes one line with the claim, expression, position, operands and reference values', () => {
    const line = formatExplanation({
      claim: 'executables', value: 33, submod: 'cpu0', policy: 'default_cpu', reason: 'failed',
      at: 'policy.rego:9:2', expression: 'input.tpm.pcr11 in rv("tpm_pcr11")', operator: 'in', operands: ['"bb"', '["aa"]'], referenceValues: ['tpm_pcr11'],
    });
    assert.equal(line, 'cpu0 executables=33: input.tpm.pcr11 in rv("tpm_pcr11") was false [policy.rego:9:2]; operands "bb", ["aa"]; reference values tpm_pcr11');
    assert.ok(!line.includes('\n'));
  });
  test('says when the claim kept its default or was set by a rule', () => {
    assert.equal(formatExplanation({ claim: 'hardware', value: 97, policy: 'default_cpu', reason: 'default' }), 'hardware=97: no rule of policy default_cpu applied to this evidence (default value)');
    assert.equal(formatExplanation({ claim: 'allow', policy: 'resource-policy', reason: 'set', at: 'policy.rego:3:1' }), 'allow: set by policy resource-policy [policy.rego:3:1]');
  });
});
