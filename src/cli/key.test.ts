import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run } from './key.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-key-cli-'));
const TOKEN = 'header.payload.signature-of-admin';
const received: { url: string; auth: string | undefined; type: string | undefined; body: Buffer }[] = [];
let status = 200;
const server = createServer((req: IncomingMessage, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    received.push({ url: req.url ?? '', auth: req.headers.authorization, type: req.headers['content-type'], body: Buffer.concat(parts) });
    res.writeHead(status).end();
  });
});
let kbs = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kbs = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function captured(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (s: string) => out.push(s);
  console.error = (s: string) => err.push(s);
  try {
    return { code: await run(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    [console.log, console.error] = [log, error];
  }
}

describe('coco key create', () => {
  test('generates a key, uploads it to the resource path with the admin token, saves it 0600 and never prints it', async () => {
    received.length = 0;
    const out = join(dir, 'a.key');
    const r = await captured(['create', '--kbs', `${kbs}/`, '--id', 'default/analytics/party-a-key', '--out', out, '--token-file', join(dir, 'token')]);
    assert.equal(r.code, 0);
    const key = readFileSync(out);
    assert.equal(key.length, 32);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.url, '/kbs/v0/resource/default/analytics/party-a-key');
    assert.equal(received[0]!.auth, `Bearer ${TOKEN}`);
    assert.equal(received[0]!.type, 'application/octet-stream');
    assert.deepEqual(received[0]!.body, key);
    for (const text of [r.out, r.err]) {
      assert.ok(!text.includes(key.toString('base64')) && !text.includes(key.toString('hex')) && !text.includes(TOKEN));
    }
  });

  test('prints the key only when asked, and can store it as base64 text for env use', async () => {
    received.length = 0;
    const existing = randomBytes(32);
    writeFileSync(join(dir, 'in.key'), existing.toString('hex'));
    const r = await captured(['create', '--kbs', kbs, '--id', 'default/analytics/result-key', '--in', join(dir, 'in.key'), '--format', 'base64', '--print', '--token-file', join(dir, 'token')]);
    assert.equal(r.code, 0);
    assert.equal(r.out, existing.toString('base64'));
    assert.equal(received[0]!.body.toString('utf8'), existing.toString('base64'));
  });

  test('reports a refused token with exit code 4 and leaves no key file', async () => {
    status = 401;
    try {
      const out = join(dir, 'refused.key');
      const r = await captured(['create', '--kbs', kbs, '--id', 'default/k/1', '--out', out, '--token-file', join(dir, 'token')]);
      assert.equal(r.code, 4);
      assert.throws(() => statSync(out));
    } finally {
      status = 200;
    }
  });

  test('rejects bad resource ids, missing tokens and an unreachable KBS', async () => {
    const saved = process.env.COCO_ADMIN_TOKEN;
    delete process.env.COCO_ADMIN_TOKEN;
    try {
      assert.equal((await captured(['create', '--kbs', kbs, '--id', 'default/../x', '--token-file', join(dir, 'token')])).code, 1);
      assert.equal((await captured(['create', '--kbs', kbs, '--id', 'a/b'])).code, 1);
      assert.equal((await captured(['create', '--kbs', kbs, '--id', 'a/b/c'])).code, 1);
      assert.equal((await captured(['create', '--kbs', 'http://127.0.0.1:1', '--id', 'a/b/c', '--token-file', join(dir, 'token')])).code, 5);
      assert.equal((await captured(['create', '--id', 'a/b/c'])).code, 2);
    } finally {
      if (saved !== undefined) process.env.COCO_ADMIN_TOKEN = saved;
    }
  });
});
