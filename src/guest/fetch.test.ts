import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeKbs } from '../../test/support/fake-kbs.js';
import { REPO_ROOT, fixture } from '../../test/support/fixtures.js';
import { fakeTsm } from '../../test/support/fake-tsm.js';
import { utf8 } from '../core/index.js';
import { startGuest } from './agent.js';
import type { GuestConfig } from './config.js';
import { runGuestFetch } from './fetch.js';
import { instantRetry } from './kbs-client/retry.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-fetch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const INITDATA = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n';

function cfg(over: Partial<GuestConfig> = {}): GuestConfig {
  return {
    kbsUrl: 'http://kbs.test',
    kbsCaPem: undefined,
    attester: 'sample',
    tpm: undefined,
    initDataToml: undefined,
    teeKeyAlgorithm: 'ECDH-ES+A256KW-P256',
    skipSealedSecretVerification: false,
    credentials: [],
    eventlog: { enabled: false, initPcr: 17 },
    listen: { host: '127.0.0.1', port: 0 },
    features: 'all',
    ...over,
  };
}

describe('runGuestFetch', () => {
  test('writes the resource with mode 0400 and leaves no temp file', async () => {
    const kbs = new FakeKbs({ resources: { 'default/model-key/1': utf8('k3y') } });
    const out = join(dir, 'ok', 'key.bin');
    assert.equal(await runGuestFetch(cfg({ initDataToml: INITDATA }), { resource: 'kbs:///default/model-key/1', out }, { fetch: kbs.fetch, retry: instantRetry() }), 3);
    assert.equal(readFileSync(out, 'utf8'), 'k3y');
    assert.equal(statSync(out).mode & 0o777, 0o400);
    assert.deepEqual(readdirSync(join(dir, 'ok')), ['key.bin']);
    assert.deepEqual((kbs.bodies('/kbs/v0/attest')[0] as Record<string, unknown>)['init-data'], { format: 'toml', body: INITDATA });
  });

  test('leaves nothing behind when the resource is refused', async () => {
    const kbs = new FakeKbs({ resources: { 'a/b/c': utf8('x') }, allow: () => false });
    const sub = join(dir, 'refused');
    await assert.rejects(runGuestFetch(cfg(), { resource: 'kbs:///a/b/c', out: join(sub, 'x') }, { fetch: kbs.fetch, retry: instantRetry() }), { code: 'ERR_UNAUTHORIZED' });
    assert.equal(existsSync(sub) ? readdirSync(sub).length : 0, 0);
  });
});

describe('startGuest', () => {
  test('refuses to start when initdata does not match the hardware (TDX MRCONFIGID)', async () => {
    const t = fakeTsm({ provider: 'tdx_guest', outblob: () => fixture('tdx/tdx_quote_4.dat') });
    try {
      await assert.rejects(startGuest(cfg({ attester: 'tdx', initDataToml: INITDATA }), { attesterEnv: { tsmRoot: t.root, tsmFs: t.fs } }), { check: 'tdx.init_data' });
    } finally {
      t.cleanup();
    }
  });

  test('needs a KBS URL', async () => {
    await assert.rejects(startGuest(cfg({ kbsUrl: undefined })), { code: 'ERR_CONFIG' });
  });
});

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('coco guest fetch (CLI)', () => {
  test('fetches over real HTTP, and fails with a one-line reason and exit 3 for a missing resource', async () => {
    const kbs = new FakeKbs({ resources: { 'default/key/1': utf8('v') } });
    const { url, close } = await kbs.listen();
    try {
      const out = join(dir, 'cli', 'k');
      const ok = await runCli(['guest', 'fetch', '--kbs-url', url, '--attester', 'sample', '--resource', 'kbs:///default/key/1', '--out', out, '--mode', '0440']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(readFileSync(out, 'utf8'), 'v');
      assert.equal(statSync(out).mode & 0o777, 0o440);
      const missing = join(dir, 'cli', 'missing');
      const bad = await runCli(['guest', 'fetch', '--kbs-url', url, '--attester', 'sample', '--resource', 'kbs:///default/key/404', '--out', missing]);
      assert.equal(bad.code, 3);
      assert.equal(bad.stderr.trim().split('\n').length, 1);
      assert.match(bad.stderr, /^coco guest fetch: .*404/);
      assert.equal(existsSync(missing), false);
      assert.deepEqual(readdirSync(join(dir, 'cli')), ['k']);
    } finally {
      await close();
    }
  });

  test('coco guest serve answers on loopback and stops cleanly on SIGTERM', async () => {
    const kbs = new FakeKbs({ resources: { 'default/key/1': utf8('served') } });
    const { url, close } = await kbs.listen();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'guest', 'serve', '--kbs-url', url, '--attester', 'sample', '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const apiUrl = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /serving the REST API on (http:\/\/[^\s]+)/.exec(err);
          if (m) resolve(m[1]!);
        });
        child.on('exit', () => reject(new Error(`serve exited: ${err}`)));
      });
      assert.equal(await (await fetch(`${apiUrl}/cdh/resource/default/key/1`)).text(), 'served');
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await close();
    }
  });

  test('refuses to guess: auto detection without a TEE exits non-zero instead of using sample', async () => {
    const r = await runCli(['guest', 'fetch', '--kbs-url', 'http://127.0.0.1:9', '--tpm', '/nonexistent/tpm', '--resource', 'kbs:///a/b/c', '--out', join(dir, 'never')]);
    assert.notEqual(r.code, 0);
    assert.equal(existsSync(join(dir, 'never')), false);
  });
});
