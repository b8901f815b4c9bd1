import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { extractPolicyData, parseInitDataBody } from './init-data.js';

const toml = (alg: string, extra = '') => `version = "0.1.0"\nalgorithm = "${alg}"\n[data]\n${extra}`;

describe('parseInitDataBody', () => {
  test('digests the exact bytes with the document algorithm', () => {
    for (const alg of ['sha256', 'sha384', 'sha512']) {
      const body = toml(alg, '"x" = "y"\n');
      const out = parseInitDataBody({ format: 'toml', body });
      assert.equal(Buffer.from(out.digest).toString('hex'), createHash(alg).update(body).digest('hex'));
      assert.deepEqual(out.claims, { x: 'y' });
    }
  });

  test('turns aa.toml/cdh.toml into JSON and policy.rego into agent_policy_claims', () => {
    const body = toml('sha384', `"cdh.toml" = '''\nsocket = "unix:///run/cdh.sock"\n'''\n"policy.rego" = '''\npackage agent_policy\npolicy_data := {\n  "containers": [{"OCI": {"Process": {"User": {"UID": 0}}}}], "s": "}{"\n}\n'''\n`);
    const out = parseInitDataBody({ format: 'toml', body });
    assert.deepEqual(out.claims, { 'cdh.toml': { socket: 'unix:///run/cdh.sock' }, agent_policy_claims: { containers: [{ OCI: { Process: { User: { UID: 0 } } } }], s: '}{' } });
  });

  test('refuses another format, an unknown algorithm and broken TOML', () => {
    assert.throws(() => parseInitDataBody({ format: 'json', body: '{}' }), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => parseInitDataBody({ format: 'toml', body: toml('md5') }), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseInitDataBody({ format: 'toml', body: toml('sha256').slice(0, 20) }), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('extractPolicyData', () => {
  test('is undefined without policy_data and refuses an unterminated object', () => {
    assert.equal(extractPolicyData('package x\n'), undefined);
    assert.throws(() => extractPolicyData('policy_data := {"a": 1'), { code: 'ERR_MALFORMED_INPUT' });
  });
  test('returns any JSON object it is given back', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        assert.deepEqual(extractPolicyData(`package p\npolicy_data := ${JSON.stringify(o)}\nallow := true`), JSON.parse(JSON.stringify(o)));
      }),
    );
  });
});
