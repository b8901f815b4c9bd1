import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes, withProgress } from './progress.js';

async function drain(it: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const p of it) n += p.length;
  return n;
}

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  return { stream: { isTTY, write: (s: string) => (written.push(s), true) } as unknown as NodeJS.WriteStream, written };
}

describe('withProgress', () => {
  test('passes every piece through unchanged and draws a final 100 % line on a TTY', async () => {
    const { stream, written } = fakeStream(true);
    const pieces = [new Uint8Array(1000), new Uint8Array(24)];
    assert.equal(await drain(withProgress(pieces as unknown as AsyncIterable<Uint8Array>, 'encrypt', 1024, stream)), 1024);
    const last = written.at(-1)!;
    assert.match(last, /^\rencrypt \[#{30}\] 100% 1\.0 KiB \/ 1\.0 KiB .*\/s\n$/);
  });

  test('writes nothing when the stream is not a terminal', async () => {
    const { stream, written } = fakeStream(false);
    assert.equal(await drain(withProgress([new Uint8Array(5)] as unknown as AsyncIterable<Uint8Array>, 'x', 5, stream)), 5);
    assert.deepEqual(written, []);
  });
});

describe('formatBytes', () => {
  test('uses binary units', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB');
  });
});
