import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { decryptStream } from './decrypt-stream.js';
import { encryptStream } from './encrypt-stream.js';
import { encryptedSize } from './stream-format.js';

const GiB = 1024 ** 3;
const TOTAL = 2 * GiB + 12_345; // not a multiple of the chunk size, so the final chunk is partial

describe('encryptStream → decryptStream at scale', () => {
  test('streams 2 GiB through encrypt and decrypt without storing it and gets the same bytes back', async () => {
    const key = new Uint8Array(randomBytes(32));
    const block = randomBytes(3 * 1024 * 1024 + 17); // odd piece size: pieces straddle chunk boundaries
    const inHash = createHash('sha256');
    const outHash = createHash('sha256');
    let produced = 0;
    let cipherBytes = 0;
    async function* plaintext(): AsyncGenerator<Uint8Array> {
      let i = 0;
      while (produced < TOTAL) {
        block.writeUInt32BE(i++, 0); // vary content so a chunk replay would change the hash
        const piece = block.subarray(0, Math.min(block.length, TOTAL - produced));
        inHash.update(piece);
        produced += piece.length;
        yield piece;
      }
    }
    async function* tap(src: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const p of src) {
        cipherBytes += p.length;
        yield p;
      }
    }
    const startRss = process.memoryUsage().rss;
    let peakRss = startRss;
    let n = 0;
    for await (const p of decryptStream(tap(encryptStream(plaintext(), key, { keyId: 'kbs:///default/key/big' })), key)) {
      outHash.update(p);
      if ((++n & 63) === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    assert.equal(produced, TOTAL);
    assert.equal(cipherBytes, encryptedSize(TOTAL, 1024 * 1024, 'kbs:///default/key/big'.length));
    assert.equal(outHash.digest('hex'), inHash.digest('hex'));
    assert.ok(peakRss - startRss < 256 * 1024 * 1024, `memory grew by ${(peakRss - startRss) >> 20} MiB`);
  });
});
