/**
 * The admin CLI against the real Trustee (runTrustee with the embedded defaults, memory storage):
 * resources, policies, reference values and audit over HTTP, with the data dir's admin key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, loadPolicyEngine, mintAdminToken, readPem, runTrustee, type RunningTrustee } from '../../src/trustee/index.js';
import { io } from '../../src/cli/admin-common.js';
import { run as resource } from '../../src/cli/resource.js';
import { run as policy } from '../../src/cli/policy.js';
import { run as referenceValue } from '../../src/cli/reference-value.js';
import { run as audit } from '../../src/cli/audit.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-cli-e2e-'));
let t: RunningTrustee;
delete process.env.COCO_ADMIN_TOKEN;

async function cli(fn: (a: string[]) => Promise<number>, args: string[]) {
  let out = '';
  let err = '';
  const saved = { ...io };
  io.log = (s) => void (out += s + '\n');
  io.err = (s) => void (err += s + '\n');
  io.out = (d) => void (out += typeof d === 'string' ? d : Buffer.from(d).toString('utf8'));
  try {
    return { code: await fn([...args, '--kbs', t.listening.url, '--data-dir', join(dir, 'data')]), out, err };
  } finally {
    Object.assign(io, saved);
  }
}

before(async () => {
  const config = loadConfig({ cwd: dir, env: {}, overrides: { port: 0, storage: 'memory' } });
  t = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: { version: '0', gitHash: 'x', buildDate: 'x' } });
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('coco admin commands against Trustee', () => {
  test('resource set, list and delete', async () => {
    assert.equal((await cli(resource, ['set', 'default/test/secret', '--value', 'shhhhhhh'])).code, 0);
    const list = await cli(resource, ['list', '--json']);
    assert.deepEqual(JSON.parse(list.out), ['default/test/secret']);
    assert.equal((await cli(resource, ['delete', 'default/test/secret'])).code, 0);
    assert.deepEqual(JSON.parse((await cli(resource, ['list', '--json'])).out), []);
  });

  test('an admin cannot read a resource back (release needs attestation): exit 4', async () => {
    await cli(resource, ['set', 'default/test/other', '--value', 'x']);
    const r = await cli(resource, ['get', 'default/test/other']);
    assert.equal(r.code, 4, r.err);
  });

  test('resource policy set and read back as rego', async () => {
    assert.equal((await cli(policy, ['set-resource', '--allow-all'])).code, 0);
    const got = await cli(policy, ['get-resource']);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /default allow := true/);
  });

  test('attestation policy set and read back', async () => {
    const file = join(dir, 'cpu.rego');
    const rego = 'package policy\n\nimport rego.v1\n\ndefault executables := 33\n';
    writeFileSync(file, rego);
    const set = await cli(policy, ['set-attestation', '--file', file, '--id', 'custom_cpu']);
    assert.equal(set.code, 0, set.err);
    const got = await cli(policy, ['get-attestation', '--id', 'custom_cpu']);
    assert.equal(got.out, rego + '\n');
    assert.equal((await cli(policy, ['get-attestation', '--id', 'nope_cpu'])).code, 3);
  });

  test('reference values set, get and list; unknown id exits 3', async () => {
    assert.equal((await cli(referenceValue, ['set', 'svn', '1'])).code, 0);
    assert.equal((await cli(referenceValue, ['set', 'major_version', '1', '--as-integer'])).code, 0);
    const got = await cli(referenceValue, ['get', 'svn', '--json']);
    assert.equal(got.code, 0, got.err);
    assert.match(got.out, /"1"/);
    const list = await cli(referenceValue, ['list', '--json']);
    assert.deepEqual((JSON.parse(list.out) as string[]).sort(), ['major_version', 'svn']);
    assert.equal((await cli(referenceValue, ['get', 'absent'])).code, 3);
  });

  test('audit list shows the denied admin request and filters by outcome', async () => {
    const key = readPem(join(dir, 'data', 'admin-key.pem'));
    const viewer = join(dir, 'viewer.jwt');
    writeFileSync(viewer, await mintAdminToken(key, { role: 'viewer' }));
    const denied = await cli(resource, ['list', '--token', viewer]);
    assert.equal(denied.code, 4);
    const r = await cli(audit, ['list', '--outcome', 'failure', '--json']);
    assert.equal(r.code, 0, r.err);
    const records = JSON.parse(r.out) as { outcome: string; route: string; check: string; detail: string }[];
    assert.ok(records.length >= 1);
    assert.ok(records.every((x) => x.outcome !== 'ok'));
    assert.ok(records.some((x) => x.route === 'admin' && x.check === 'kbs.admin.authorize' && x.detail.includes('role "viewer" may not GET')));
  });
});
