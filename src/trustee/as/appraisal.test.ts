import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from '../storage/memory.js';
import { regoPolicyEngine } from '../rego-engine.js';
import { appraise } from './appraisal.js';
import { PolicyStore } from './policy.js';

async function store(text: string) {
  const p = new PolicyStore(new MemoryStore(), 'attestation_service_policy', regoPolicyEngine, { query_reference_value: 1 });
  await p.set('t_cpu', text);
  return p;
}
const rv = { values: new Map<string, any>([['svn', ['1']]]), expired: new Set(['old']) };

describe('appraise', () => {
  test('reads trust claims and extensions, and reports expired reference values it was asked for', async () => {
    const p = await store(`package policy
import rego.v1
default hardware := 97
hardware := 2 if input.sample.svn in query_reference_value("svn")
executables := 3 if query_reference_value("old")
trust_claims := {"hardware": hardware}
extensions := [{"name": "x.y", "key": -1, "value": 7}]
`);
    const notes: string[] = [];
    const out = await appraise(p, 't_cpu', { sample: { svn: '1' } }, rv, (n) => notes.push(n));
    assert.deepEqual(out, { vector: { hardware: 2 }, extensions: { 'x.y': 7 } });
    assert.deepEqual(notes, ['reference value old expired and was withheld']);
  });

  test('still appraises when an unrelated rule of the package fails', async () => {
    const p = await store(`package policy
import rego.v1
broken := 1
broken := 2
trust_claims := {"hardware": 2}
`);
    assert.deepEqual((await appraise(p, 't_cpu', {}, rv, () => {})).vector, { hardware: 2 });
  });

  test('refuses a policy that sets no trust claim or an out-of-range one', async () => {
    const none = await store('package policy\nimport rego.v1\ntrust_claims := {}\n');
    await assert.rejects(appraise(none, 't_cpu', {}, rv, () => {}), { rule: 'as.appraisal.trust_claims' });
    const big = await store('package policy\nimport rego.v1\ntrust_claims := {"hardware": 300}\n');
    await assert.rejects(appraise(big, 't_cpu', {}, rv, () => {}), { rule: 'as.appraisal.trust_claims' });
  });

  test('fails with as.policy.missing for an unknown policy id', async () => {
    const p = await store('package policy\nimport rego.v1\ntrust_claims := {"hardware": 2}\n');
    await assert.rejects(appraise(p, 'nope_cpu', {}, rv, () => {}), { code: 'ERR_NOT_FOUND' });
  });
});
