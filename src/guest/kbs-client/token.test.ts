import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { describe, test } from 'node:test';
import { FakeKbs } from '../../../test/support/fake-kbs.js';
import { utf8 } from '../../core/index.js';
import { sampleAttester } from '../attester/sample.js';
import { KbsClient } from './client.js';
import { instantRetry } from './retry.js';
import { getResourceWithToken, kbsTokenJson } from './token.js';

describe('getResourceWithToken', () => {
  test('fetches with a bearer token and decrypts with the token key', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': utf8('v') } });
    const c = new KbsClient({ kbsUrl: 'http://kbs', fetch: kbs.fetch, attester: sampleAttester(), retry: instantRetry() });
    const token = await c.attest();
    const out = await getResourceWithToken(
      { kbsUrl: 'http://kbs', fetch: kbs.fetch, retry: instantRetry(), getToken: async () => ({ token, privateKey: c.key.privateKey }) },
      'kbs:///a/b/c',
    );
    assert.deepEqual(out, utf8('v'));
    const get = kbs.requests.filter((r) => r.method === 'GET');
    assert.equal(get.length, 1);
    assert.equal(get[0]!.headers.authorization, `Bearer ${token}`);
    assert.equal(get[0]!.headers.cookie, undefined);
  });

  test('fetches a fresh token after a 401 and gives up after 3 attempts', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': utf8('v') } });
    const c = new KbsClient({ kbsUrl: 'http://kbs', fetch: kbs.fetch, attester: sampleAttester(), retry: instantRetry() });
    const good = await c.attest();
    const fresh: boolean[] = [];
    const out = await getResourceWithToken(
      {
        kbsUrl: 'http://kbs',
        fetch: kbs.fetch,
        retry: instantRetry(),
        getToken: async (f) => (fresh.push(f), { token: f ? good : 'bad.eyJleHAiOjF9.x', privateKey: c.key.privateKey }),
      },
      'a/b/c',
    );
    assert.deepEqual(out, utf8('v'));
    assert.deepEqual(fresh, [false, true]);
    await assert.rejects(
      getResourceWithToken({ kbsUrl: 'http://kbs', fetch: kbs.fetch, retry: instantRetry(), getToken: async () => ({ token: 'bad.eyJleHAiOjF9.x', privateKey: c.key.privateKey }) }, 'a/b/c'),
      { code: 'ERR_UNAUTHORIZED' },
    );
  });
});

describe('kbsTokenJson', () => {
  test('returns the token and a PEM private key that loads back', async () => {
    const kbs = new FakeKbs();
    const c = new KbsClient({ kbsUrl: 'http://kbs', fetch: kbs.fetch, attester: sampleAttester(), retry: instantRetry() });
    const j = JSON.parse(kbsTokenJson('t', c.key)) as { token: string; tee_keypair: string };
    assert.equal(j.token, 't');
    assert.match(j.tee_keypair, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(createPrivateKey(j.tee_keypair).asymmetricKeyType, 'ec');
  });
});
