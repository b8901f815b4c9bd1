import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, NotFound, VerificationFailed, isCocoError, parseToml, utf8 } from '../../core/index.js';
import { MemoryStore } from '../storage/memory.js';
import { PROVISIONER_UUID_NAMESPACE, confdataToml, provisionerPlugin, randomAlphanumeric, uuidV5 } from './provisioner-plugin.js';
import type { PluginRequest } from './plugins.js';
import { startTestTrustee } from '../../../test/support/trustee.js';
import { denyAllAdmin } from './admin-hooks.js';
import { rejection } from '../../../test/support/failures.js';

const req = (method: string, path: string[], body = ''): PluginRequest => ({ method, path, body: utf8(body), query: {} });
const json = (b: Uint8Array) => JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, string>;
const binding = (uuid: string) => ({ 'trustee.kbs.resource': `kbs+provisioner:///default/${uuid}/root` });

const failure = (p: Promise<unknown>) => rejection(p, 'kbs.plugin.provisioner');

describe('uuidV5', () => {
  test('matches RFC 9562 and the namespace upstream derives', () => {
    assert.equal(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
    assert.equal(uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'provisioner_plugin'), PROVISIONER_UUID_NAMESPACE);
  });
});

describe('randomAlphanumeric and confdataToml', () => {
  test('draws exactly the asked number of letters and digits, and writes TOML the guest reads', () => {
    const key = randomAlphanumeric(64);
    assert.match(key, /^[A-Za-z0-9]{64}$/);
    assert.notEqual(randomAlphanumeric(64), key);
    assert.deepEqual(parseToml(confdataToml(key)), { version: '0.1.0', data: { 'io.cryptsetup.key.text.root': key } });
  });

  test('uses every character about equally often (no modulo bias towards A–H)', () => {
    const draws = 62 * 400;
    const text = randomAlphanumeric(draws);
    assert.equal(new Set(text).size, 62);
    // Unbiased, A–H are 8/62 of the draws (3,200 ± 53); plain byte % 62 would give them 40/256 (3,875).
    const aToH = [...text].filter((c) => c >= 'A' && c <= 'H').length;
    assert.ok(Math.abs(aToH - 3200) < 300, `A–H drawn ${aToH} times`);
  });
});

describe('provisionerPlugin', () => {
  test('asks admin rights for POST and DELETE and attestation for GET, and encrypts only GET answers', async () => {
    const p = provisionerPlugin(new MemoryStore(), { keyLength: 32 });
    assert.equal(await p.validateAuth(req('POST', ['provision'])), true);
    assert.equal(await p.validateAuth(req('DELETE', ['provision', 'x'])), true);
    assert.equal(await p.validateAuth(req('GET', ['default', 'x', 'root'])), false);
    assert.equal(await p.encrypted(req('GET', ['default', 'x', 'root'])), true);
    assert.equal(await p.encrypted(req('POST', ['provision'])), false);
  });

  test('provisions a VM once: a UUID from namespace/vm_name, a key kept across repeated calls', async () => {
    const store = new MemoryStore();
    const p = provisionerPlugin(store, { keyLength: 40 });
    const first = json(await p.handle(req('POST', ['provision'], '{"vm_name":"vm-1"}')));
    const uuid = uuidV5(PROVISIONER_UUID_NAMESPACE, 'default/vm-1');
    assert.deepEqual(first, { uuid, resource_path: `default/${uuid}/root` });
    const stored = await store.get('provisioner', `default/${uuid}/root`);
    const key = (parseToml(Buffer.from(stored!).toString('utf8')) as { data: Record<string, string> }).data['io.cryptsetup.key.text.root']!;
    assert.match(key, /^[A-Za-z0-9]{40}$/);
    assert.deepEqual(json(await p.handle(req('POST', ['provision'], '{"vm_name":"vm-1"}'))), first);
    assert.deepEqual(await store.get('provisioner', `default/${uuid}/root`), stored);
    const other = json(await p.handle(req('POST', ['provision'], '{"vm_name":"vm-1","namespace":"prod"}')));
    assert.equal(other.uuid, uuidV5(PROVISIONER_UUID_NAMESPACE, 'prod/vm-1'));
  });

  test('releases the key only to a guest whose init-data names it', async () => {
    const p = provisionerPlugin(new MemoryStore(), { keyLength: 32 });
    const { uuid } = json(await p.handle(req('POST', ['provision'], '{"vm_name":"vm-2"}')));
    const get = req('GET', ['default', uuid!, 'root']);
    assert.match(Buffer.from(await p.handle(get, binding(uuid!))).toString('utf8'), /io\.cryptsetup\.key\.text\.root/);
    const otherUuid = uuidV5(PROVISIONER_UUID_NAMESPACE, 'default/someone-else');
    for (const initData of [undefined, {}, { 'trustee.kbs.resource': 5 }, binding(otherUuid)]) {
      const f = await failure(p.handle(get, initData));
      assert.ok(f.error instanceof VerificationFailed, JSON.stringify(initData));
      assert.equal(f.check, 'kbs.plugin.provisioner.binding');
      assert.match((f.error as Error).message, new RegExp(`kbs\\+provisioner:///default/${uuid}/root`));
    }
    const missing = await failure(p.handle(req('GET', ['default', otherUuid, 'root']), binding(otherUuid)));
    assert.ok(missing.error instanceof NotFound);
    assert.equal(missing.check, 'kbs.resource.missing');
  });

  test('deprovisions by UUID, and refuses what is not a UUID', async () => {
    const store = new MemoryStore();
    const p = provisionerPlugin(store, { keyLength: 32 });
    const { uuid } = json(await p.handle(req('POST', ['provision'], '{"vm_name":"vm-3"}')));
    assert.deepEqual(json(await p.handle(req('DELETE', ['provision', uuid!]))), { status: 'deleted' });
    assert.equal(await store.get('provisioner', `default/${uuid}/root`), undefined);
    for (const path of [['provision'], ['provision', '..'], ['provision', 'not-a-uuid']]) {
      const f = await failure(p.handle(req('DELETE', path)));
      assert.ok(f.error instanceof MalformedInput, path.join('/'));
      assert.equal(f.check, 'kbs.plugin.provisioner.path');
    }
  });

  test('refuses malformed provision bodies and unknown calls, naming them', async () => {
    const p = provisionerPlugin(new MemoryStore(), { keyLength: 32 });
    for (const body of ['', 'not json', '[]', '{}', '{"vm_name":5}', '{"vm_name":""}', '{"vm_name":"a","namespace":1}', '{"vm_name":"b/c","namespace":"a"}', '{"vm_name":"c","namespace":"a/b"}', '{"vm_name":"c","namespace":""}']) {
      const f = await failure(p.handle(req('POST', ['provision'], body)));
      assert.ok(f.error instanceof MalformedInput, body);
      assert.equal(f.check, 'kbs.request.malformed', body);
    }
    for (const [method, path] of [['GET', ['default', 'x', 'root']], ['GET', ['provision']], ['PUT', ['provision']], ['POST', ['other']], ['POST', ['provision', 'x']]] as const) {
      assert.equal((await failure(p.handle(req(method, [...path])))).check, 'kbs.plugin.provisioner.path');
    }
  });

  test('a KBS refuses provisioning and deprovisioning to callers without admin rights, and stores nothing', async () => {
    const store = new MemoryStore();
    const t = await startTestTrustee({ plugins: { provisioner: provisionerPlugin(store, { keyLength: 32 }) }, admin: denyAllAdmin });
    try {
      const post = await t.call('POST', '/kbs/v0/provisioner/provision', { body: { vm_name: 'vm-x' } });
      assert.equal(post.status, 401);
      assert.match(post.json().type, /AdminAuthAccess$/);
      const del = await t.call('DELETE', `/kbs/v0/provisioner/provision/${uuidV5(PROVISIONER_UUID_NAMESPACE, 'default/vm-x')}`);
      assert.equal(del.status, 401);
      assert.deepEqual(await store.list('provisioner'), []);
    } finally {
      await t.trustee.close();
    }
  });

  test('fails only with typed errors on arbitrary calls (fuzz)', async () => {
    const p = provisionerPlugin(new MemoryStore(), { keyLength: 16 });
    const segment = fc.oneof(fc.constantFrom('provision', 'default', 'root', ''), fc.uuid(), fc.string({ maxLength: 8 }));
    const body = fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.record({ vm_name: fc.string(), namespace: fc.string() }).map((v) => JSON.stringify(v)));
    const initData = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.uuid().map((u) => binding(u)));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'DELETE', 'PUT'), fc.array(segment, { maxLength: 4 }), body, initData, async (method, path, text, claims) => {
        try {
          await p.handle(req(method, path, text), claims);
        } catch (err) {
          assert.ok(isCocoError(err), `untyped failure: ${String(err)}`);
        }
      }),
      { numRuns: 400 },
    );
  });
});
