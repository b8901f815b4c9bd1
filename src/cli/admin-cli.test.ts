import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBase64, fromBase64Url, fromUtf8 } from '../core/index.js';
import { createAdminAuthorizer, mintAdminToken } from '../trustee/index.js';
import { startFakeKbs, type FakeKbs } from '../../test/support/fake-kbs-admin.js';
import { run as admin } from './admin.js';
import { run as resource } from './resource.js';
import { run as policy } from './policy.js';
import { run as referenceValue } from './reference-value.js';
import { run as audit } from './audit.js';
import { io } from './admin-common.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-cli-'));
let kbs: FakeKbs;
delete process.env.COCO_ADMIN_TOKEN;
delete process.env.COCO_KBS_URL;

/** Run a command, capturing what it prints. */
async function cli(fn: (a: string[]) => Promise<number>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = { ...io };
  io.log = (t) => void (out += t + '\n');
  io.err = (t) => void (err += t + '\n');
  io.out = (d) => void (out += typeof d === 'string' ? d : Buffer.from(d).toString('utf8'));
  try {
    return { code: await fn(args), out, err };
  } finally {
    Object.assign(io, saved);
  }
}

const keyDir = join(dir, 'keys');
const common = () => ['--kbs', kbs.url, '--key', join(keyDir, 'admin-key.pem')];

before(async () => {
  const r = await cli(admin, ['keygen', '--out', keyDir]);
  assert.equal(r.code, 0, r.err);
  kbs = await startFakeKbs({
    mode: 'AuthenticatedAuthorization',
    identityProviders: [{ publicKeyUri: join(keyDir, 'admin-key.pub.pem') }],
    acls: [
      { role: 'admin', allowedEndpoints: '^/kbs/.+$' },
      { role: 'reader', allowedEndpoints: '^/kbs/v0/audit.*$' },
    ],
  });
});
after(async () => {
  await kbs.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('coco admin', () => {
  test('keygen refuses to overwrite an existing pair', async () => {
    const r = await cli(admin, ['keygen', '--out', keyDir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists/);
  });

  test('token mints a JWT that the admin authoriser accepts with the asked role', async () => {
    const r = await cli(admin, ['token', '--key', join(keyDir, 'admin-key.pem'), '--role', 'reader', '--ttl', '15m']);
    assert.equal(r.code, 0, r.err);
    const a = createAdminAuthorizer({ mode: 'AuthenticatedAuthorization', identityProviders: [{ publicKeyUri: join(keyDir, 'admin-key.pub.pem') }], acls: [{ role: 'reader', allowedEndpoints: '^/kbs/.+$' }] });
    const id = await a.authorize('GET', '/kbs/v0/audit', { authorization: `Bearer ${r.out.trim()}` });
    assert.equal(id.role, 'reader');
    const payload = JSON.parse(fromUtf8(fromBase64Url(r.out.trim().split('.')[1]!)));
    assert.equal(payload.exp - payload.iat, 900);
  });

  test('a bad ttl is a usage error', async () => {
    assert.equal((await cli(admin, ['token', '--key', join(keyDir, 'admin-key.pem'), '--ttl', 'soon'])).code, 2);
  });
});

describe('coco resource', () => {
  test('set, get, list and delete round-trip through the admin API', async () => {
    assert.equal((await cli(resource, ['set', 'default/key/1', '--value', 'shhhhhhh', ...common()])).code, 0);
    const file = join(dir, 'blob.bin');
    writeFileSync(file, new Uint8Array([0, 1, 2, 255]));
    assert.equal((await cli(resource, ['set', 'default/cert/a', '--file', file, ...common()])).code, 0);
    const post = kbs.requests.find((r) => r.method === 'POST' && r.url === '/kbs/v0/resource/default/key/1')!;
    assert.equal(fromUtf8(post.body), 'shhhhhhh');
    assert.match(post.authorization ?? '', /^Bearer ey/);

    const got = await cli(resource, ['get', 'default/key/1', ...common()]);
    assert.deepEqual([got.code, got.out], [0, 'shhhhhhh']);
    const out = join(dir, 'out.bin');
    assert.equal((await cli(resource, ['get', 'default/cert/a', '--out', out, ...common()])).code, 0);
    assert.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array([0, 1, 2, 255]));

    const list = await cli(resource, ['list', '--json', ...common()]);
    assert.deepEqual(JSON.parse(list.out), ['default/cert/a', 'default/key/1']);
    assert.equal((await cli(resource, ['delete', 'default/key/1', ...common()])).code, 0);
    assert.deepEqual(await kbs.store.list('repository'), ['default/cert/a']);
  });

  test('a missing resource exits 3 (upstream answers 401 with a not-found detail)', async () => {
    const r = await cli(resource, ['get', 'default/key/absent', ...common()]);
    assert.equal(r.code, 3);
    assert.match(r.err, /not found/);
  });

  test('no credentials exit 4', async () => {
    const r = await cli(resource, ['list', '--kbs', kbs.url, '--data-dir', join(dir, 'empty')]);
    assert.equal(r.code, 4);
    assert.match(r.err, /401/);
  });

  test('a token of a role without access exits 4', async () => {
    const tokenFile = join(dir, 'reader.jwt');
    writeFileSync(tokenFile, await mintAdminToken(readFileSync(join(keyDir, 'admin-key.pem'), 'utf8'), { role: 'reader' }));
    const r = await cli(resource, ['set', 'default/key/2', '--value', 'x', '--kbs', kbs.url, '--token', tokenFile]);
    assert.equal(r.code, 4);
    assert.match(r.err, /role "reader"/);
  });

  test('an unreachable KBS exits 5', async () => {
    const r = await cli(resource, ['list', '--kbs', 'http://127.0.0.1:1', '--key', join(keyDir, 'admin-key.pem')]);
    assert.equal(r.code, 5);
  });

  test('bad usage exits 2 and never calls the KBS', async () => {
    const before = kbs.requests.length;
    for (const args of [['set', 'default/key/1'], ['get'], ['frobnicate'], ['set', 'a/b', '--value', 'x'], ['list', '--bogus']]) {
      const r = await cli(resource, [...args, ...common()]);
      assert.equal(r.code, args[0] === 'set' && args[1] === 'a/b' ? 1 : 2, args.join(' '));
    }
    assert.equal(kbs.requests.length, before);
  });
});

describe('coco policy (admin)', () => {
  test('set-resource --allow-all sends the rego base64url without padding', async () => {
    assert.equal((await cli(policy, ['set-resource', '--allow-all', ...common()])).code, 0);
    const req = kbs.requests.filter((r) => r.url === '/kbs/v0/resource-policy' && r.method === 'POST').at(-1)!;
    const body = JSON.parse(fromUtf8(req.body)) as { policy: string };
    assert.doesNotMatch(body.policy, /[=+/]/);
    assert.match(fromUtf8(fromBase64Url(body.policy)), /default allow := true/);
    const got = await cli(policy, ['get-resource', '--json', ...common()]);
    assert.deepEqual(JSON.parse(got.out), ['resource-policy.rego']);
  });

  test('set-attestation posts type, policy_id and the policy; get-attestation reads it back', async () => {
    const file = join(dir, 'ear.rego');
    const rego = 'package policy\n\n# ünïcode ~~~ ???\ndefault hardware := 97\n';
    writeFileSync(file, rego);
    assert.equal((await cli(policy, ['set-attestation', '--file', file, '--id', 'default_gpu', ...common()])).code, 0);
    const req = kbs.requests.filter((r) => r.url === '/kbs/v0/attestation-policy').at(-1)!;
    const body = JSON.parse(fromUtf8(req.body));
    assert.equal(body.type, 'rego');
    assert.equal(body.policy_id, 'default_gpu');
    assert.equal(fromUtf8(fromBase64Url(body.policy)), rego);
    const got = await cli(policy, ['get-attestation', '--id', 'default_gpu', ...common()]);
    assert.equal(got.out, rego + '\n');
  });

  test('set-resource needs exactly one source', async () => {
    assert.equal((await cli(policy, ['set-resource', '--allow-all', '--deny-all', ...common()])).code, 2);
  });
});

describe('coco reference-value', () => {
  test('set builds the upstream sample message and get reads the value', async () => {
    assert.equal((await cli(referenceValue, ['set', 'svn', '1', ...common()])).code, 0);
    const req = kbs.requests.filter((r) => r.url === '/kbs/v0/reference-value').at(-1)!;
    const msg = JSON.parse(fromUtf8(req.body));
    assert.equal(msg.version, '0.1.0');
    assert.equal(msg.type, 'sample');
    assert.deepEqual(JSON.parse(fromUtf8(fromBase64(msg.payload))), { svn: ['1'] });
    const got = await cli(referenceValue, ['get', 'svn', '--json', ...common()]);
    assert.deepEqual(JSON.parse(got.out), ['1']);
  });

  test('typed values: --as-integer, --as-bool, --as-single-value', async () => {
    assert.equal((await cli(referenceValue, ['set', 'major_version', '1', '--as-integer', ...common()])).code, 0);
    assert.equal((await cli(referenceValue, ['set', 'debug', 'false', '--as-bool', ...common()])).code, 0);
    assert.equal((await cli(referenceValue, ['set', 'digest', 'abcde', '--as-single-value', ...common()])).code, 0);
    assert.equal(fromUtf8((await kbs.store.get('reference_value', 'major_version'))!), '1');
    assert.equal(fromUtf8((await kbs.store.get('reference_value', 'debug'))!), 'false');
    assert.equal(fromUtf8((await kbs.store.get('reference_value', 'digest'))!), '"abcde"');
    assert.equal((await cli(referenceValue, ['set', 'n', 'x1', '--as-integer', ...common()])).code, 2);
  });

  test('get of an unknown id exits 3', async () => {
    assert.equal((await cli(referenceValue, ['get', 'nope', ...common()])).code, 3);
  });
});

describe('coco audit', () => {
  test('list passes limit and outcome and prints one line per record', async () => {
    kbs.audit.push(
      { time: '2026-11-23T08:00:00Z', outcome: 'failure', action: 'attest', subject: 'session-1', detail: 'snp.report.signature' },
      { time: '2026-11-23T08:00:01Z', outcome: 'success', action: 'resource.get', subject: 'session-2' },
      { time: '2026-11-23T08:00:02Z', outcome: 'failure', action: 'auth', subject: 'session-3', detail: 'version' },
    );
    const r = await cli(audit, ['list', '--limit', '1', '--outcome', 'failure', ...common()]);
    assert.equal(r.code, 0, r.err);
    assert.ok(kbs.requests.at(-1)!.url.endsWith('/kbs/v0/audit?limit=1&outcome=failure'));
    assert.equal(r.out, '2026-11-23T08:00:00Z  failure  attest  session-1  snp.report.signature\n');
    const j = await cli(audit, ['list', '--json', ...common()]);
    assert.equal(JSON.parse(j.out).length, 3);
  });

  test('a role with audit access only can list audit records', async () => {
    const tokenFile = join(dir, 'reader2.jwt');
    writeFileSync(tokenFile, await mintAdminToken(readFileSync(join(keyDir, 'admin-key.pem'), 'utf8'), { role: 'reader' }));
    assert.equal((await cli(audit, ['list', '--kbs', kbs.url, '--token', tokenFile])).code, 0);
  });

  test('bad options exit 2', async () => {
    assert.equal((await cli(audit, ['list', '--limit', '0', ...common()])).code, 2);
    assert.equal((await cli(audit, ['list', '--outcome', 'meh', ...common()])).code, 2);
    assert.equal((await cli(audit, ['show', ...common()])).code, 2);
  });
});
