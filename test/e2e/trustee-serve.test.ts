/**
 * `coco trustee serve` as a real process: admin key pair and token in the data dir, SQLite storage
 * that survives a restart, and a full sample handshake against it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { flattenedDecrypt, type FlattenedJWE } from 'jose';
import { REPO_ROOT } from '../support/fixtures.js';
import { ALLOW_RESOURCE_PLUGIN, b64url, sampleAttestation, sampleGuest } from '../support/trustee.js';

const dataDir = mkdtempSync(join(tmpdir(), 'coco-serve-'));
const children: ChildProcess[] = [];

async function start(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'trustee', 'serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const m = /^Trustee listening on (http:\/\/\S+)/.exec(line);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`coco trustee serve exited ${code}`)));
  });
  return { child, url };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('coco trustee serve', () => {
  test('serves the KBS with an admin key pair in the data dir and keeps resources across a restart', async () => {
    const first = await start();
    const token = readFileSync(join(dataDir, 'admin-token'), 'utf8');
    assert.equal(statSync(join(dataDir, 'admin-key.pem')).mode & 0o077, 0);
    const admin = { authorization: `Bearer ${token}` };
    let res = await fetch(`${first.url}/kbs/v0/resource/default/test/secret`, { method: 'POST', headers: admin, body: 'shhhhhhh' });
    assert.equal(res.status, 200);
    res = await fetch(`${first.url}/kbs/v0/resource-policy`, { method: 'POST', headers: admin, body: JSON.stringify({ policy: b64url(ALLOW_RESOURCE_PLUGIN) }) });
    assert.equal(res.status, 200);
    res = await fetch(`${first.url}/kbs/v0/resource`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 401);
    await stop(first.child);

    const second = await start();
    const auth = await fetch(`${second.url}/kbs/v0/auth`, { method: 'POST', body: JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' }) });
    assert.equal(auth.status, 200);
    const cookie = auth.headers.get('set-cookie')!.split(';')[0]!;
    const guest = sampleGuest();
    const { nonce } = (await auth.json()) as { nonce: string };
    const attest = await fetch(`${second.url}/kbs/v0/attest`, { method: 'POST', headers: { cookie }, body: JSON.stringify(sampleAttestation(guest, nonce)) });
    assert.equal(attest.status, 200);
    const got = await fetch(`${second.url}/kbs/v0/resource/default/test/secret`, { headers: { cookie } });
    assert.equal(got.status, 200);
    const { plaintext } = await flattenedDecrypt((await got.json()) as FlattenedJWE, guest.privateKey);
    assert.equal(Buffer.from(plaintext).toString(), 'shhhhhhh');
    await stop(second.child);
  });
});
