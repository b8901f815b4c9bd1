/**
 * The `provisioner` plugin through runTrustee (the path of `coco trustee serve`), over real HTTP: an
 * operator (admin) provisions a VM and gets its UUID and key path; a sample guest whose init-data names
 * that path attests and fetches the key as a JWE to its TEE key (decrypted with jose); a guest without
 * that init-data is refused; the key survives a restart on SQLite; deprovisioning forgets it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt, type FlattenedJWE } from 'jose';
import { parseToml } from '../../src/core/index.js';
import type { RunningTrustee } from '../../src/trustee/index.js';
import { runLocalTrustee } from '../support/local-trustee.js';
import { httpTrustee, sampleGuest } from '../support/trustee.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-provisioner-'));
const POLICY = `package policy
import rego.v1
default allow := false
allow if data.plugin == "provisioner"
`;
let running: RunningTrustee;
const kbs = httpTrustee(() => running.listening.url);

async function start(): Promise<void> {
  running = await runLocalTrustee(
    [
      '[storage_backend]',
      'storage_type = "Sqlite"',
      `backends.sqlite.path = "${join(dir, 'kbs.sqlite')}"`,
      '[[plugins]]',
      'name = "provisioner"',
      'key_length = 48',
    ],
    dir,
  );
}

const initDataFor = (resourcePath: string) => ['version = "0.1.0"', 'algorithm = "sha384"', '[data]', `"trustee.kbs.resource" = "kbs+provisioner:///${resourcePath}"`, ''].join('\n');

async function fetchKey(cookie: string, resourcePath: string) {
  return kbs.http('GET', `/kbs/v0/provisioner/${resourcePath}`, { headers: { cookie } });
}

before(async () => {
  await start();
  await kbs.seedPolicy(POLICY);
});
after(async () => {
  await running?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Trustee with the provisioner plugin', () => {
  let provisioned: { uuid: string; resource_path: string };
  let key: string;

  test('the operator provisions a VM and its guest, bound by init-data, fetches the key as a JWE', async () => {
    const res = await kbs.http('POST', '/kbs/v0/provisioner/provision', { body: { vm_name: 'pod-vm-1', namespace: 'team-a' } });
    assert.equal(res.status, 200, res.text);
    provisioned = JSON.parse(res.text) as typeof provisioned;
    assert.match(provisioned.uuid, /^[0-9a-f-]{36}$/);
    assert.equal(provisioned.resource_path, `default/${provisioned.uuid}/root`);
    const guest = sampleGuest('P-256');
    const { cookie } = await kbs.handshake(guest, initDataFor(provisioned.resource_path));
    const got = await fetchKey(cookie, provisioned.resource_path);
    assert.equal(got.status, 200, got.text);
    const toml = new TextDecoder().decode((await flattenedDecrypt(JSON.parse(got.text) as FlattenedJWE, guest.privateKey)).plaintext);
    key = (parseToml(toml) as { data: Record<string, string> }).data['io.cryptsetup.key.text.root']!;
    assert.match(key, /^[A-Za-z0-9]{48}$/);
  });

  test('a guest whose init-data does not name the key is refused and audited', async () => {
    const { cookie } = await kbs.handshake(sampleGuest('P-256'));
    const res = await fetchKey(cookie, provisioned.resource_path);
    assert.equal(res.status, 401);
    assert.match(res.text, /PluginInternalError/);
    const audit = JSON.parse((await kbs.http('GET', '/kbs/v0/audit?route=resource&limit=1')).text) as Array<{ check: string }>;
    assert.equal(audit[0]!.check, 'kbs.plugin.provisioner.binding');
  });

  test('the key survives a restart, and provisioning again returns the same VM and key', async () => {
    await running.close();
    await start();
    const again = await kbs.http('POST', '/kbs/v0/provisioner/provision', { body: { vm_name: 'pod-vm-1', namespace: 'team-a' } });
    assert.deepEqual(JSON.parse(again.text), provisioned);
    const guest = sampleGuest('P-256');
    const { cookie } = await kbs.handshake(guest, initDataFor(provisioned.resource_path));
    const got = await fetchKey(cookie, provisioned.resource_path);
    const toml = new TextDecoder().decode((await flattenedDecrypt(JSON.parse(got.text) as FlattenedJWE, guest.privateKey)).plaintext);
    assert.equal((parseToml(toml) as { data: Record<string, string> }).data['io.cryptsetup.key.text.root'], key);
  });

  test('deprovisioning forgets the key', async () => {
    const del = await kbs.http('DELETE', `/kbs/v0/provisioner/provision/${provisioned.uuid}`);
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(JSON.parse(del.text), { status: 'deleted' });
    const { cookie } = await kbs.handshake(sampleGuest('P-256'), initDataFor(provisioned.resource_path));
    assert.equal((await fetchKey(cookie, provisioned.resource_path)).status, 401);
    const audit = JSON.parse((await kbs.http('GET', '/kbs/v0/audit?route=resource&limit=1')).text) as Array<{ check: string }>;
    assert.equal(audit[0]!.check, 'kbs.resource.missing');
  });
});
