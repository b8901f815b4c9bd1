import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MalformedInput, NotFound, Unavailable, VerificationFailed } from '../core/index.js';
import { encryptBytes } from '../data/index.js';
import { fetchModel, resourceGetterFromApi } from './model-fetch.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-model-fetch-'));
const key = randomBytes(32);
const model = randomBytes(300_000);
const modelSha = createHash('sha256').update(model).digest('hex');
const enc = Buffer.from(encryptBytes(model, key, { keyId: 'kbs:///default/models/fraud', chunkSize: 65536 }));
const served: Record<string, { status: number; body: Buffer; cut?: boolean }> = {
  '/model.joblib.enc': { status: 200, body: enc },
  '/tampered.enc': { status: 200, body: Buffer.from(enc).fill(enc[200_000]! ^ 4, 200_000, 200_001) },
  '/truncated.enc': { status: 200, body: enc.subarray(0, 107 + 2 * (65536 + 16)) }, // header + two whole records
  // The api-server-rest wire: GET /cdh/resource/<repo>/<type>/<tag> → raw bytes.
  '/cdh/resource/default/models/fraud': { status: 200, body: Buffer.from(key.toString('base64')) },
  '/cdh/resource/default/models/other': { status: 200, body: randomBytes(32) },
  '/cdh/resource/default/models/denied': { status: 500, body: Buffer.from('rpc status: PolicyDenied') },
};
const server = createServer((req, res) => {
  const r = served[req.url ?? ''];
  if (!r) return void res.writeHead(404).end('URL NOT FOUND');
  res.writeHead(r.status, { 'content-type': 'application/octet-stream' }).end(r.body);
});
let base = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = () => resourceGetterFromApi(base);
let n = 0;
const freshDir = () => join(dir, `models-${n++}`);
const empty = (d: string) => {
  try {
    return readdirSync(d).length === 0;
  } catch {
    return true;
  }
};

describe('fetchModel', () => {
  test('downloads, fetches the key named in the header, decrypts and verifies into the model dir', async () => {
    const to = freshDir();
    const r = await fetchModel({ source: `coco+${base}/model.joblib.enc`, destDir: to, getResource: api(), expectedSha256: modelSha });
    assert.equal(r.path, join(to, 'model.joblib'));
    assert.equal(r.keyUri, 'kbs:///default/models/fraud');
    assert.equal(r.sha256, modelSha);
    assert.deepEqual(readFileSync(r.path), model);
    assert.deepEqual(readdirSync(to), ['model.joblib']);
  });

  test('reads a local file and honours an explicit key URI and file name', async () => {
    writeFileSync(join(dir, 'local.enc'), enc);
    const to = freshDir();
    const seen: string[] = [];
    const r = await fetchModel({
      source: join(dir, 'local.enc'),
      destDir: to,
      keyUri: 'kbs:///default/models/fraud',
      fileName: 'model.bin',
      getResource: async (u) => (seen.push(u), key),
    });
    assert.deepEqual(seen, ['kbs:///default/models/fraud']);
    assert.deepEqual(readFileSync(r.path), model);
  });

  test('fails closed and leaves the model dir empty on tampering, truncation, a wrong key or a digest mismatch', async () => {
    const cases: [Parameters<typeof fetchModel>[0]['source'], Partial<Parameters<typeof fetchModel>[0]>, (e: unknown) => boolean][] = [
      [`${base}/tampered.enc`, {}, (e) => e instanceof VerificationFailed && e.check === 'data.chunk.tag'],
      [`${base}/truncated.enc`, {}, (e) => e instanceof VerificationFailed && e.check === 'data.stream.truncated'],
      [`${base}/model.joblib.enc`, { keyUri: 'kbs:///default/models/other' }, (e) => e instanceof VerificationFailed && e.check === 'data.header.tag'],
      [`${base}/model.joblib.enc`, { expectedSha256: '00'.repeat(32) }, (e) => e instanceof VerificationFailed && e.check === 'data.model.sha256'],
      [`${base}/model.joblib.enc`, { keyUri: 'kbs:///default/models/denied' }, (e) => e instanceof Unavailable],
      [`${base}/model.joblib.enc`, { keyUri: 'kbs:///default/models/missing' }, (e) => e instanceof NotFound],
      [`${base}/missing.enc`, {}, (e) => e instanceof NotFound],
      [`${base}/model.joblib.enc`, { fileName: '../escape' }, (e) => e instanceof MalformedInput],
    ];
    for (const [source, extra, match] of cases) {
      const to = freshDir();
      await assert.rejects(fetchModel({ source, destDir: to, getResource: api(), ...extra }), match, `${source} ${JSON.stringify(extra)}`);
      assert.ok(empty(to), `${source}: left files behind`);
    }
  });
});

describe('coco guest model-fetch', () => {
  test('works in the KServe positional form and exits 1 with nothing written on failure', async () => {
    const { run } = await import('../cli/guest-model-fetch.js');
    const [log, error] = [console.log, console.error];
    const out: string[] = [];
    console.log = (s: string) => out.push(s);
    console.error = () => undefined;
    try {
      const to = freshDir();
      assert.equal(await run([`coco+${base}/model.joblib.enc`, to, '--api', base]), 0);
      assert.equal(JSON.parse(out[0]!).sha256, modelSha);
      const bad = freshDir();
      assert.equal(await run(['--from', `${base}/tampered.enc`, '--to', bad, '--api', base]), 1);
      assert.ok(empty(bad));
      assert.equal(await run(['only-one-arg']), 2);
    } finally {
      [console.log, console.error] = [log, error];
    }
  });
});
