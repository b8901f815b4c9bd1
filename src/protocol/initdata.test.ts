import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { decodeInitDataAnnotation, encodeInitDataAnnotation, initDataDigest, initDataHardwareValues, parseInitData } from './initdata.js';

const TOML = `version = "0.1.0"
algorithm = "sha384"
[data]
"aa.toml" = '''
[token_configs.kbs]
url = "http://127.0.0.1:8080"
'''
`;

describe('parseInitData', () => {
  test('reads version, algorithm and the data map', () => {
    const d = parseInitData(TOML);
    assert.equal(d.algorithm, 'sha384');
    assert.match(d.data['aa.toml']!, /token_configs/);
  });

  test('keeps a __proto__ key as an ordinary entry', () => {
    const d = parseInitData(`version = "0.1.0"\nalgorithm = "sha256"\n[data]\n"__proto__" = "x"\n`);
    assert.equal(Object.getOwnPropertyDescriptor(d.data, '__proto__')?.value, 'x');
    assert.deepEqual(Object.keys(d.data), ['__proto__']);
  });

  test('refuses IANA-style algorithm names and wrong types', () => {
    assert.throws(() => parseInitData('version = "0.1.0"\nalgorithm = "sha-384"\n'), { where: 'initdata.algorithm' });
    assert.throws(() => parseInitData('version = 1\nalgorithm = "sha384"\n'), { where: 'initdata.version' });
    assert.throws(() => parseInitData('version = "0.1.0"\nalgorithm = "sha384"\n[data]\nx = 1\n'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('initDataDigest', () => {
  test('hashes the exact TOML bytes and derives the hardware values', () => {
    const d = initDataDigest(TOML);
    assert.deepEqual(Buffer.from(d), createHash('sha384').update(TOML).digest());
    const hw = initDataHardwareValues(d);
    assert.deepEqual(hw.snpHostData, d.subarray(0, 32));
    assert.deepEqual(hw.tdxMrConfigId, d);
    const expectedPcr8 = createHash('sha256').update(Buffer.concat([Buffer.alloc(32), Buffer.from(d.subarray(0, 32))])).digest();
    assert.deepEqual(Buffer.from(hw.pcr8), expectedPcr8);
  });

  test('round-trips the pod annotation through gzip and base64', () => {
    const value = encodeInitDataAnnotation(TOML);
    assert.equal(gunzipSync(Buffer.from(value, 'base64')).toString('utf8'), TOML);
    assert.equal(decodeInitDataAnnotation(value), TOML);
    assert.throws(() => decodeInitDataAnnotation('bm90IGd6aXA='), { code: 'ERR_MALFORMED_INPUT' });
  });
});
