import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, parseToml } from '../core/index.js';
import { parseInitData } from '../protocol/index.js';
import { buildInitData, tomlMultiline, tomlString } from './initdata-build.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUB\n-----END CERTIFICATE-----\n';

describe('buildInitData', () => {
  test('builds aa.toml and cdh.toml that point at the KBS and parse as their own TOML', () => {
    const { toml, initData } = buildInitData({ kbsUrl: 'https://kbs.example:8080', kbsCert: CERT });
    assert.equal(initData.version, '0.1.0');
    assert.equal(initData.algorithm, 'sha384');
    assert.match(toml, /^version = "0\.1\.0"\nalgorithm = "sha384"\n/);
    const aa = parseToml(initData.data['aa.toml']!) as { token_configs: { kbs: { url: string; cert: string } } };
    assert.equal(aa.token_configs.kbs.url, 'https://kbs.example:8080');
    assert.equal(aa.token_configs.kbs.cert, CERT);
    const cdh = parseToml(initData.data['cdh.toml']!) as { socket: string; kbc: { name: string; url: string; kbs_cert: string } };
    assert.deepEqual([cdh.kbc.name, cdh.kbc.url, cdh.kbc.kbs_cert], ['cc_kbc', 'https://kbs.example:8080', CERT]);
    assert.equal(cdh.socket, 'unix:///run/confidential-containers/cdh.sock');
  });

  test('includes the agent policy verbatim and honours the algorithm', () => {
    const policy = "package agent_policy\n\ndefault AllowRequestsFailingPolicy := false\npolicy_data := {\"x\": 'y'}\n";
    const { initData } = buildInitData({ kbsUrl: 'http://kbs:8080', policyRego: policy, algorithm: 'sha256' });
    assert.equal(initData.data['policy.rego'], policy);
    assert.equal(initData.algorithm, 'sha256');
  });

  test('is deterministic: the same settings give the same bytes', () => {
    const a = buildInitData({ kbsUrl: 'http://kbs:8080', policyRego: 'package p\n' }).toml;
    assert.equal(buildInitData({ kbsUrl: 'http://kbs:8080', policyRego: 'package p\n' }).toml, a);
  });

  test('rejects a KBS URL that is not http(s) or not a URL, and an unknown algorithm', () => {
    assert.throws(() => buildInitData({ kbsUrl: 'kbs:8080' }), MalformedInput);
    assert.throws(() => buildInitData({ kbsUrl: 'not a url' }), MalformedInput);
    assert.throws(() => buildInitData({ kbsUrl: 'http://k', algorithm: 'md5' as 'sha256' }), MalformedInput);
  });

  test('round-trips any data entry text exactly through the TOML parser (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__'), fc.string({ unit: 'binary', maxLength: 80 }), { maxKeys: 4 }), (extra) => {
        const { toml } = buildInitData({ extra });
        assert.deepEqual(parseInitData(toml).data, { ...extra });
      }),
      { numRuns: 300 },
    );
  });
});

describe('tomlString and tomlMultiline', () => {
  test('escape quotes, backslashes and control characters; fall back from literal when needed', () => {
    assert.equal(tomlString('a"b\\c\n\u0001'), '"a\\"b\\\\c\\n\\u0001"');
    assert.equal(tomlMultiline('x\ny\n'), "'''\nx\ny\n'''");
    assert.equal(tomlMultiline("ends with '"), '"ends with \'"');
    assert.equal(tomlMultiline("has ''' inside"), '"has \'\'\' inside"');
  });
});
