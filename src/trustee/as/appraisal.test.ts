import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Unavailable } from '../../core/index.js';
import type { ReferenceValueSnapshot } from '../rvps/reference-values.js';
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

describe('appraise with a partial snapshot (remote RVPS)', () => {
  /** A snapshot that starts empty and answers `more` from `source`, counting what it was asked. */
  function remote(source: Record<string, unknown>, asked: string[][] = [], values = new Map<string, any>()): ReferenceValueSnapshot {
    return {
      values,
      expired: new Set(),
      more: async (names) => {
        asked.push([...names]);
        const next = new Map(values);
        for (const n of names) if (source[n] !== undefined) next.set(n, source[n]);
        return remote(source, asked, next);
      },
    };
  }

  test('fetches the names the policy looked up, then appraises with them', async () => {
    const p = await store(`package policy
import rego.v1
default hardware := 97
hardware := 2 if input.sample.svn in query_reference_value("svn")
trust_claims := {"hardware": hardware}
`);
    const asked: string[][] = [];
    const out = await appraise(p, 't_cpu', { sample: { svn: '1' } }, remote({ svn: ['1'] }, asked), () => {});
    assert.deepEqual(out.vector, { hardware: 2 });
    assert.deepEqual(asked, [['svn']], 'one round, one name');
  });

  test('follows names that depend on fetched values, asks each name once, and keeps an absent one absent', async () => {
    const p = await store(`package policy
import rego.v1
default hardware := 97
hardware := 2 if {
  some name in query_reference_value("which")
  query_reference_value(name) == ["ok"]
  not query_reference_value("absent")
}
trust_claims := {"hardware": hardware}
`);
    const asked: string[][] = [];
    const out = await appraise(p, 't_cpu', {}, remote({ which: ['second'], second: ['ok'] }, asked), () => {});
    assert.deepEqual(out.vector, { hardware: 2 });
    assert.deepEqual(asked.flat().sort(), ['absent', 'second', 'which']);
    assert.equal(new Set(asked.flat()).size, asked.flat().length, 'no name is asked twice');
  });

  test('a provider that fails makes the appraisal fail with its error', async () => {
    const p = await store('package policy\nimport rego.v1\ntrust_claims := {"hardware": 2} if query_reference_value("x")\n');
    const failing: ReferenceValueSnapshot = { values: new Map(), expired: new Set(), more: async () => Promise.reject(new Unavailable('rvps down')) };
    await assert.rejects(appraise(p, 't_cpu', {}, failing, () => {}), Unavailable);
  });

  test('stops after a bounded number of rounds for a policy that keeps asking new names', async () => {
    // v(k+1) needs the value of name n<v(k)>: each name is known only once the previous one is fetched.
    const steps = Array.from({ length: 12 }, (_, k) => `v${k + 1} := query_reference_value(sprintf("n%d", [v${k}]))[0]`).join('\n');
    const p = await store(`package policy\nimport rego.v1\nv0 := 0\n${steps}\ntrust_claims := {"hardware": 2}\n`);
    const source = Object.fromEntries(Array.from({ length: 13 }, (_, i) => [`n${i}`, [i + 1]]));
    const asked: string[][] = [];
    const out = await appraise(p, 't_cpu', {}, remote(source, asked), () => {});
    assert.deepEqual(out.vector, { hardware: 2 });
    assert.equal(asked.length, 8, 'eight rounds, then the answer stands');
  });
});
