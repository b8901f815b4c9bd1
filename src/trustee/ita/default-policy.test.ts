import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { regoPolicyEngine } from '../rego-engine.js';
import { itaDefaultResourcePolicy } from './default-policy.js';

/** Evaluate `data.policy.allow` of the default policy for `ids` on ITA-like claims. */
function allows(ids: string[], matched: unknown, plugin = 'resource'): unknown {
  const policy = regoPolicyEngine.compile({ 'policy.rego': itaDefaultResourcePolicy(ids) });
  return policy.evalJson('data.policy.allow', { input: { tdx: { attester_tcb_status: 'UpToDate' }, policy_ids_matched: matched }, data: { plugin, 'resource-path': ['a', 'b', 'c'], query: {} } });
}

describe('itaDefaultResourcePolicy', () => {
  test('allows the resource plugin when ITA matched every configured policy', () => {
    assert.equal(allows(['p1'], [{ id: 'p1', version: 'v1' }]), true);
    assert.equal(allows(['p1', 'p2'], [{ id: 'p2' }, { id: 'p1' }, { id: 'p3' }]), true);
  });

  test('denies when a configured policy was not matched, or the token has no such claim', () => {
    assert.equal(allows(['p1', 'p2'], [{ id: 'p1' }]), false);
    assert.equal(allows(['p1'], [{ id: 'someone-elses' }]), false);
    assert.equal(allows(['p1'], undefined), false);
    assert.equal(allows(['p1'], 'p1'), false);
  });

  test('denies everything when no policy ids are configured, and other plugins always', () => {
    assert.equal(allows([], [{ id: 'p1' }]), false);
    assert.equal(allows(['p1'], [{ id: 'p1' }], 'pkcs11'), false);
  });

  test('quotes policy ids safely (an id cannot inject Rego)', () => {
    const evil = 'x"}\nallow if true\n#';
    assert.equal(allows([evil], [{ id: 'other' }]), false);
    assert.equal(allows([evil], [{ id: evil }]), true);
  });
});
