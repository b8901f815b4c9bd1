import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { LimitExceeded, MalformedInput, Unsupported, VerificationFailed } from '../core/index.js';
import {
  STREAM_HEADER_TAG_BYTES,
  buildStreamHeader,
  chunkNonce,
  encryptedSize,
  openStreamHeader,
  parseStreamHeader,
  streamHeaderLength,
} from './stream-format.js';

const key = new Uint8Array(32).fill(7);

describe('parseStreamHeader', () => {
  test('reads back the chunk size, salt and key id that were written', () => {
    const salt = new Uint8Array(32).fill(9);
    const { header } = buildStreamHeader(key, { keyId: 'kbs:///default/key/a', chunkSize: 4096, salt });
    const parsed = parseStreamHeader(header.bytes);
    assert.equal(parsed.chunkSize, 4096);
    assert.equal(parsed.keyId, 'kbs:///default/key/a');
    assert.deepEqual(parsed.salt, salt);
    assert.equal(parsed.bytes.length, 48 + 'kbs:///default/key/a'.length + STREAM_HEADER_TAG_BYTES);
  });

  test('rejects a file that does not start with the magic', () => {
    const { header } = buildStreamHeader(key);
    const bad = header.bytes.slice();
    bad[0] ^= 1;
    assert.throws(() => parseStreamHeader(bad), MalformedInput);
  });

  test('rejects an unknown version and an unknown suite as Unsupported', () => {
    const { header } = buildStreamHeader(key);
    for (const at of [8, 9]) {
      const bad = header.bytes.slice();
      bad[at] = 2;
      assert.throws(() => parseStreamHeader(bad), Unsupported);
    }
  });

  test('rejects chunk sizes outside the allowed range and above the reader limit', () => {
    const { header } = buildStreamHeader(key, { chunkSize: 1 << 20 });
    const zero = header.bytes.slice();
    zero.fill(0, 10, 14);
    assert.throws(() => parseStreamHeader(zero), MalformedInput);
    assert.throws(() => parseStreamHeader(header.bytes, 1 << 16), LimitExceeded);
    assert.throws(() => buildStreamHeader(key, { chunkSize: 8 }), MalformedInput);
  });

  test('rejects every truncation of the header', () => {
    const { header } = buildStreamHeader(key, { keyId: 'k' });
    for (let n = 0; n < header.bytes.length; n++) {
      assert.throws(() => parseStreamHeader(header.bytes.subarray(0, n)), MalformedInput, `length ${n}`);
    }
  });

  test('rejects a key id that is not UTF-8', () => {
    const { header } = buildStreamHeader(key, { keyId: 'ab' });
    const bad = header.bytes.slice();
    bad[48] = 0xff;
    assert.throws(() => parseStreamHeader(bad), MalformedInput);
  });

  test('never throws anything but our errors on random bytes (fuzz)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (junk, withMagic) => {
        const bytes = withMagic ? new Uint8Array([...Buffer.from('COCOSTRM'), ...junk]) : junk;
        try {
          parseStreamHeader(bytes);
        } catch (err) {
          assert.ok(err instanceof MalformedInput || err instanceof Unsupported || err instanceof LimitExceeded, String(err));
        }
      }),
    );
  });
});

describe('openStreamHeader', () => {
  test('accepts the header under the key that made it', () => {
    const { header, keys } = buildStreamHeader(key, { keyId: 'x' });
    assert.deepEqual(openStreamHeader(parseStreamHeader(header.bytes), key).chunkKey, keys.chunkKey);
  });

  test('rejects a wrong key with check data.header.tag', () => {
    const { header } = buildStreamHeader(key);
    assert.throws(
      () => openStreamHeader(parseStreamHeader(header.bytes), new Uint8Array(32)),
      (e: unknown) => e instanceof VerificationFailed && e.check === 'data.header.tag',
    );
  });

  test('rejects any single flipped bit in chunk size, salt, key id or tag', () => {
    const { header } = buildStreamHeader(key, { keyId: 'kid', chunkSize: 64 });
    for (let i = 10; i < header.bytes.length; i++) {
      const bad = header.bytes.slice();
      bad[i] ^= 0x10;
      assert.throws(() => openStreamHeader(parseStreamHeader(bad), key), (e: unknown) => e instanceof VerificationFailed || e instanceof MalformedInput, `byte ${i}`);
    }
  });
});

describe('chunkNonce', () => {
  test('differs by index and by the final flag', () => {
    const seen = new Set<string>();
    for (const i of [0, 1, 255, 256, 2 ** 32, 2 ** 40]) for (const f of [false, true]) seen.add(chunkNonce(i, f).toString('hex'));
    assert.equal(seen.size, 12);
    assert.equal(chunkNonce(1, true).toString('hex'), '000000000000000000000101');
  });
});

describe('streamHeaderLength', () => {
  test('needs the fixed part before it can answer', () => {
    const { header } = buildStreamHeader(key, { keyId: 'abc' });
    assert.equal(streamHeaderLength(header.bytes.subarray(0, 47)), undefined);
    assert.equal(streamHeaderLength(header.bytes.subarray(0, 48)), header.bytes.length);
    assert.equal(encryptedSize(0, 16, 3), header.bytes.length + 16);
  });
});
