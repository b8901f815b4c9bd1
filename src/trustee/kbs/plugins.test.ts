import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flattenedDecrypt } from 'jose';
import { Unavailable, fromUtf8, utf8 } from '../../core/index.js';
import { denyAllAdmin } from './admin-hooks.js';
import { b64url, cookieOf, sampleAttestation, sampleGuest, startTestTrustee, type SampleGuest, type TestTrustee } from '../../../test/support/trustee.js';
import { samplePlugin, type KbsPlugin, type PluginRequest } from './plugins.js';

const ERR = 'https://github.com/confidential-containers/kbs/errors/';
const ALLOW_ECHO = 'package policy\nimport rego.v1\ndefault allow := false\nallow if data.plugin == "echo"\n';

/** A plugin that records its calls; admin or attested by path, encrypted when asked. */
function echoPlugin(calls: Array<{ req: PluginRequest; initData: unknown }>): KbsPlugin {
  return {
    validateAuth: async (req) => req.path[0] === 'admin',
    handle: async (req, initData) => {
      calls.push({ req, initData });
      if (req.path[0] === 'broken') throw new Unavailable('backend down');
      return utf8(`echo ${req.method} ${req.path.join('/')} ${fromUtf8(req.body)}`);
    },
    encrypted: async (req) => req.query.sealed === '1',
  };
}

async function attested(t: TestTrustee, guest: SampleGuest): Promise<string> {
  const auth = await t.call('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample', 'extra-params': '' } });
  const cookie = cookieOf(auth);
  const initData = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"x" = "y"\n';
  const res = await t.call('POST', '/kbs/v0/attest', { body: sampleAttestation(guest, auth.json().nonce, { initData }), headers: { cookie } });
  assert.equal(res.status, 200, res.text());
  return cookie;
}

describe('KBS plugins', () => {
  test('sample answers admins with its fixed text, as upstream; others get AdminAuthAccess', async () => {
    const t = await startTestTrustee({ plugins: { sample: samplePlugin('value1') } });
    try {
      const res = await t.call('GET', '/kbs/v0/sample/anything');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/xml');
      assert.equal(res.text(), 'sample plugin response');
    } finally {
      await t.trustee.close();
    }
    const closed = await startTestTrustee({ plugins: { sample: samplePlugin('') }, admin: denyAllAdmin });
    try {
      const res = await closed.call('GET', '/kbs/v0/sample');
      assert.equal(res.status, 401);
      assert.equal(res.json().type, ERR + 'AdminAuthAccess');
    } finally {
      await closed.trustee.close();
    }
  });

  test('a plugin that is not configured is PluginNotFound (404)', async () => {
    const t = await startTestTrustee();
    try {
      const res = await t.call('GET', '/kbs/v0/sample');
      assert.equal(res.status, 404);
      assert.equal(res.json().type, ERR + 'PluginNotFound');
    } finally {
      await t.trustee.close();
    }
  });

  test('attested calls need a token and the resource policy; the plugin gets the init-data claims; a sealed answer is a JWE', async () => {
    const calls: Array<{ req: PluginRequest; initData: unknown }> = [];
    const t = await startTestTrustee({ plugins: { echo: echoPlugin(calls) } });
    try {
      const none = await t.call('POST', '/kbs/v0/echo/data', { raw: 'hi' });
      assert.equal(none.status, 401);
      assert.equal(none.json().type, ERR + 'TokenNotFound');
      const guest = sampleGuest('P-256');
      const cookie = await attested(t, guest);
      // The default resource policy refuses sample evidence.
      const denied = await t.call('POST', '/kbs/v0/echo/data', { raw: 'hi', headers: { cookie } });
      assert.equal(denied.status, 401);
      assert.equal(denied.json().type, ERR + 'PolicyDeny');
      assert.equal(calls.length, 0, 'a refused call never reaches the plugin');
      await t.call('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_ECHO) } });
      const plain = await t.call('POST', '/kbs/v0/echo/data/x?k=v', { raw: 'hi', headers: { cookie } });
      assert.equal(plain.status, 200, plain.text());
      assert.equal(plain.text(), 'echo POST data/x hi');
      assert.deepEqual(calls.at(-1)!.req.query, { k: 'v' });
      assert.deepEqual(calls.at(-1)!.initData, { x: 'y' });
      const sealed = await t.call('GET', '/kbs/v0/echo/secret?sealed=1', { headers: { cookie } });
      assert.equal(sealed.status, 200, sealed.text());
      const { plaintext } = await flattenedDecrypt(sealed.json(), guest.privateKey);
      assert.equal(fromUtf8(plaintext), 'echo GET secret ');
      const broken = await t.call('GET', '/kbs/v0/echo/broken', { headers: { cookie } });
      assert.equal(broken.status, 401);
      assert.equal(broken.json().type, ERR + 'PluginInternalError');
      const rec = (await t.call('GET', '/kbs/v0/audit?limit=1')).json()[0];
      assert.equal(rec.check, 'kbs.plugin.echo');
      assert.equal(rec.resource, 'echo/broken');
    } finally {
      await t.trustee.close();
    }
  });

  test('admin calls of a plugin go through the admin check and are answered as they are', async () => {
    const calls: Array<{ req: PluginRequest; initData: unknown }> = [];
    const t = await startTestTrustee({ plugins: { echo: echoPlugin(calls) } });
    try {
      const res = await t.call('PUT', '/kbs/v0/echo/admin/conf', { raw: 'v=1' });
      assert.equal(res.status, 200);
      assert.equal(res.text(), 'echo PUT admin/conf v=1');
      assert.equal(calls[0]!.initData, undefined);
    } finally {
      await t.trustee.close();
    }
    const closed = await startTestTrustee({ plugins: { echo: echoPlugin([]) }, admin: denyAllAdmin });
    try {
      assert.equal((await closed.call('PUT', '/kbs/v0/echo/admin/conf', { raw: 'v=1' })).json().type, ERR + 'AdminAuthAccess');
    } finally {
      await closed.trustee.close();
    }
  });

  test('a plugin whose authorization question fails answers PluginInternalError and is audited', async () => {
    const failing: KbsPlugin = { validateAuth: async () => Promise.reject(new Unavailable('no answer')), handle: async () => utf8(''), encrypted: async () => false };
    const t = await startTestTrustee({ plugins: { flaky: failing } });
    try {
      const res = await t.call('GET', '/kbs/v0/flaky/x');
      assert.equal(res.status, 401);
      assert.equal(res.json().type, ERR + 'PluginInternalError');
      assert.equal((await t.call('GET', '/kbs/v0/audit?limit=1')).json()[0].check, 'kbs.plugin.flaky');
    } finally {
      await t.trustee.close();
    }
  });
});
