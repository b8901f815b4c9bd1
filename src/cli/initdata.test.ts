import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, describe, test } from 'node:test';
import { requireTools } from '../../test/support/system-tools.js';
import { run } from './initdata.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-initdata-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const p = (n: string) => join(dir, n);

async function capture(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const [log, err] = [console.log, console.error];
  console.log = (s: string) => lines.push(`${s}\n`);
  console.error = () => undefined;
  try {
    return { code: await run(args), out: lines.join('') };
  } finally {
    [console.log, console.error] = [log, err];
  }
}

const sh = (cmd: string) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();

describe('coco initdata', () => {
  writeFileSync(p('policy.rego'), 'package agent_policy\n\ndefault CreateContainerRequest := true\n');

  test('build writes a document whose digest matches sha384sum and whose annotation gunzips to the exact bytes', { skip: requireTools('sha384sum', 'gzip', 'base64') }, async () => {
    assert.equal((await capture(['build', '--kbs', 'https://kbs.example:8080', '--policy', p('policy.rego'), '--out', p('init.toml')])).code, 0);
    const bytes = readFileSync(p('init.toml'));
    const { code, out } = await capture(['digest', '--in', p('init.toml'), '--json']);
    assert.equal(code, 0);
    const d = JSON.parse(out) as Record<string, string>;
    const expected = sh(`sha384sum ${p('init.toml')}`).split(' ')[0]!;
    assert.equal(d.algorithm, 'sha384');
    assert.equal(d.digest, expected);
    assert.equal(d.snpHostData, expected.slice(0, 64));
    assert.equal(d.tdxMrConfigId, expected);
    // PCR 8 after one SHA-256 extend from all zeros with the digest resized to 32 bytes.
    const pcr = createHash('sha256').update(Buffer.alloc(32)).update(Buffer.from(expected.slice(0, 64), 'hex')).digest('hex');
    assert.equal(d.tpmPcr8, pcr);

    const ann = await capture(['annotate', '--in', p('init.toml')]);
    writeFileSync(p('ann.txt'), ann.out.trim());
    assert.equal(sh(`base64 -d ${p('ann.txt')} | gzip -d | sha384sum`).split(' ')[0], expected);
    assert.deepEqual(gunzipSync(Buffer.from(ann.out.trim(), 'base64')), bytes);
    const yaml = await capture(['annotate', '--in', p('init.toml'), '--yaml']);
    assert.equal(yaml.out.trim(), `io.katacontainers.config.hypervisor.cc_init_data: ${ann.out.trim()}`);
  });

  test('digest of a sha256 document pads HOST_DATA-sized values correctly', { skip: requireTools('sha256sum') }, async () => {
    assert.equal((await capture(['build', '--kbs', 'http://kbs:8080', '--algorithm', 'sha256', '--out', p('s256.toml')])).code, 0);
    const d = JSON.parse((await capture(['digest', '--in', p('s256.toml'), '--json'])).out) as Record<string, string>;
    const expected = sh(`sha256sum ${p('s256.toml')}`).split(' ')[0]!;
    assert.equal(d.digest, expected);
    assert.equal(d.snpHostData, expected);
    assert.equal(d.tdxMrConfigId, expected + '00'.repeat(16));
  });

  test('digest covers the exact bytes: a changed comment changes it', async () => {
    const base = readFileSync(p('s256.toml'), 'utf8');
    writeFileSync(p('s256b.toml'), `${base}# comment\n`);
    const a = JSON.parse((await capture(['digest', '--in', p('s256.toml'), '--json'])).out) as { digest: string };
    const b = JSON.parse((await capture(['digest', '--in', p('s256b.toml'), '--json'])).out) as { digest: string };
    assert.notEqual(a.digest, b.digest);
  });

  test('rejects invalid documents, unknown algorithms and bad usage', async () => {
    writeFileSync(p('bad.toml'), 'version = "0.1.0"\nalgorithm = "sha-256"\n');
    assert.equal((await capture(['digest', '--in', p('bad.toml')])).code, 1);
    writeFileSync(p('junk.toml'), 'this is = = not toml');
    assert.equal((await capture(['annotate', '--in', p('junk.toml')])).code, 1);
    assert.equal((await capture(['build', '--kbs', 'ftp://x', '--out', p('never.toml')])).code, 1);
    assert.equal((await capture(['digest'])).code, 2);
    assert.equal((await capture(['nope'])).code, 2);
  });
});
