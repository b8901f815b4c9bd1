import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { selectedHashAlgorithm } from './rcar.js';
import { resourceRequestPath } from './resource.js';
import { describeErrorBody, sessionCookieOf } from './wire.js';

describe('resourceRequestPath', () => {
  test('maps kbs:// URIs to the resource plugin and ignores the host, as upstream', () => {
    assert.equal(resourceRequestPath('kbs:///default/key/1'), '/kbs/v0/resource/default/key/1');
    assert.equal(resourceRequestPath('kbs://other-kbs:9000/alice/key/1?x=y'), '/kbs/v0/resource/alice/key/1?x=y');
    assert.equal(resourceRequestPath('kbs+pkcs11:///a/b/c'), '/kbs/v0/pkcs11/a/b/c');
    assert.equal(resourceRequestPath('default/key/1'), '/kbs/v0/resource/default/key/1');
    assert.equal(resourceRequestPath('kbsrepo/key/1'), '/kbs/v0/resource/kbsrepo/key/1');
  });

  test('refuses traversal, wrong arity and foreign schemes', () => {
    for (const bad of ['kbs+plugin:///a/../c', 'kbs+plugin:///a//c', 'kbs+plugin:///a/%2e%2e/c', 'kbs:///a/../c', 'kbs:///a/b', 'http:///a/b/c', 'kbs+:///a/b/c', 'a/b', '../a/b', 'kbs:///a/b/c/d']) {
      assert.throws(() => resourceRequestPath(bad), { code: 'ERR_MALFORMED_INPUT' }, bad);
    }
  });

  test('never produces a path that leaves /kbs/v0/ for arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const input of [s, `kbs:///${s}`, `kbs+plugin:///${s}`]) {
          try {
            const p = resourceRequestPath(input);
            assert.ok(p.startsWith('/kbs/v0/'));
            assert.ok(!p.split('?')[0]!.split('/').some((seg) => seg === '..' || seg === '.'));
          } catch (err) {
            assert.equal((err as { code?: string }).code, 'ERR_MALFORMED_INPUT');
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('selectedHashAlgorithm', () => {
  test('uses selected-hash-algorithm when the challenge names one, else SHA-384', () => {
    assert.equal(selectedHashAlgorithm(''), 'sha384');
    assert.equal(selectedHashAlgorithm({ 'selected-hash-algorithm': 'SHA512' }), 'sha512');
    assert.equal(selectedHashAlgorithm({ other: 1 }), 'sha384');
    assert.throws(() => selectedHashAlgorithm({ 'selected-hash-algorithm': 'sm3' }), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => selectedHashAlgorithm({ 'selected-hash-algorithm': 'md5' }));
  });
});

describe('sessionCookieOf / describeErrorBody', () => {
  test('finds kbs-session-id among several cookies', () => {
    const h = new Headers();
    h.append('set-cookie', 'other=1; Path=/');
    h.append('set-cookie', 'kbs-session-id=abc123; Expires=Wed, 21 Oct 2099 07:28:00 GMT');
    assert.equal(sessionCookieOf(new Response(null, { headers: h })), 'abc123');
    assert.equal(sessionCookieOf(new Response(null)), undefined);
  });

  test('names the upstream error variant and bounds raw text', () => {
    assert.equal(describeErrorBody('{"type":"https://github.com/confidential-containers/kbs/errors/PolicyDeny","detail":"no"}'), 'PolicyDeny: no');
    assert.equal(describeErrorBody('x'.repeat(1000)).length, 300);
    assert.equal(describeErrorBody(''), '(empty body)');
  });
});
