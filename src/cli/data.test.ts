import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { run } from './data.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-data-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => join(dir, name);

async function quiet(fn: () => Promise<number>): Promise<number> {
  const orig = console.error;
  console.error = () => undefined;
  try {
    return await fn();
  } finally {
    console.error = orig;
  }
}

const key = randomBytes(32);
writeFileSync(p('key.bin'), key);
writeFileSync(p('key.hex'), key.toString('hex') + '\n');
writeFileSync(p('other.key'), randomBytes(32));

describe('coco data', () => {
  test('encrypts and decrypts a file across several chunks, with hex or raw key files', async () => {
    const plain = randomBytes(200_000);
    writeFileSync(p('plain.bin'), plain);
    assert.equal(await run(['encrypt', '--key', p('key.bin'), '--in', p('plain.bin'), '--out', p('enc.bin'), '--key-id', 'kbs:///default/key/a', '--chunk-size', '65536']), 0);
    assert.notDeepEqual(readFileSync(p('enc.bin')).subarray(100, 200), plain.subarray(0, 100));
    assert.equal(await run(['decrypt', '--key', p('key.hex'), '--in', p('enc.bin'), '--out', p('dec.bin')]), 0);
    assert.deepEqual(readFileSync(p('dec.bin')), plain);
  });

  test('leaves no output and no temporary file when the ciphertext was tampered with', async () => {
    const enc = readFileSync(p('enc.bin'));
    const variants = {
      flipped: Buffer.from(enc).fill(enc[150000]! ^ 1, 150000, 150001),
      truncated: enc.subarray(0, enc.length - 20),
      appended: Buffer.concat([enc, Buffer.from('x')]),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      writeFileSync(p(`${name}.enc`), bytes);
      assert.equal(await quiet(() => run(['decrypt', '--key', p('key.bin'), '--in', p(`${name}.enc`), '--out', p(`${name}.out`)])), 1, name);
      assert.ok(!readdirSync(dir).some((f) => f.startsWith(`${name}.out`) || f.includes(`.${name}.out`)), name);
    }
  });

  test('refuses a wrong key and leaves nothing behind', async () => {
    assert.equal(await quiet(() => run(['decrypt', '--key', p('other.key'), '--in', p('enc.bin'), '--out', p('wrong.out')])), 1);
    assert.ok(!readdirSync(dir).some((f) => f.includes('wrong.out')));
  });

  test('rejects a key file that is not 32 bytes and bad usage', async () => {
    writeFileSync(p('short.key'), randomBytes(16));
    assert.equal(await quiet(() => run(['encrypt', '--key', p('short.key'), '--in', p('plain.bin'), '--out', p('x')])), 1);
    assert.equal(await quiet(() => run(['decrypt', '--key', p('key.bin'), '--in', p('enc.bin'), '--out', '-'])), 2);
    assert.equal(await quiet(() => run(['frobnicate'])), 2);
    assert.equal(await quiet(() => run(['encrypt', '--bogus'])), 2);
  });

  test('inspect prints the key id and chunk size without the key', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (s: string) => lines.push(s);
    try {
      assert.equal(await run(['inspect', '--in', p('enc.bin')]), 0);
    } finally {
      console.log = orig;
    }
    assert.deepEqual(JSON.parse(lines.join('')), { format: 'coco-stream', version: 1, keyId: 'kbs:///default/key/a', chunkSize: 65536 });
  });
});
