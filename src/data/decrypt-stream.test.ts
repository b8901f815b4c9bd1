import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { MalformedInput, VerificationFailed, concatBytes } from '../core/index.js';
import { decryptBytes, decryptStream } from './decrypt-stream.js';
import { encryptBytes, encryptStream } from './encrypt-stream.js';
import { encryptedSize } from './stream-format.js';

const key = new Uint8Array(randomBytes(32));
const C = 64;
const HEADER = encryptedSize(0, C, 0) - 16; // header length with an empty key id

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return concatBytes(...parts);
}

/** Split bytes into pieces at the given cut points (to exercise buffering). */
function* pieces(bytes: Uint8Array, cuts: number[]): Generator<Uint8Array> {
  let prev = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    const at = Math.min(c, bytes.length);
    yield bytes.subarray(prev, at);
    prev = at;
  }
  yield bytes.subarray(prev);
}

function isCheck(check: string) {
  return (e: unknown) => e instanceof VerificationFailed && e.check === check;
}

/** Decrypt and return what was emitted before the error, plus the error. */
async function attempt(ct: Uint8Array, k = key): Promise<{ emitted: number; error: unknown }> {
  let emitted = 0;
  try {
    for await (const p of decryptStream([ct], k)) emitted += p.length;
  } catch (error) {
    return { emitted, error };
  }
  return { emitted, error: undefined };
}

const record = (i: number) => HEADER + i * (C + 16);

describe('decryptStream', () => {
  for (const n of [0, 1, C - 1, C, C + 1, 3 * C, 3 * C + 5]) {
    test(`round-trips ${n} bytes at chunk size ${C}, in one piece and in odd pieces`, async () => {
      const plain = new Uint8Array(randomBytes(n));
      const ct = await collect(encryptStream(pieces(plain, [1, 7, C + 3]), key, { chunkSize: C }));
      assert.equal(ct.length, encryptedSize(n, C));
      assert.deepEqual(await collect(decryptStream([ct], key)), plain);
      assert.deepEqual(await collect(decryptStream(pieces(ct, [3, 50, HEADER + 1, HEADER + C + 17]), key)), plain);
      assert.deepEqual(decryptBytes(ct, key), plain);
      assert.deepEqual(encryptBytes(plain, key, { chunkSize: C }).length, ct.length);
    });
  }

  test('round-trips any plaintext, chunk size and piece boundaries (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 700 }),
        fc.integer({ min: 16, max: 200 }),
        fc.array(fc.nat(1000), { maxLength: 6 }),
        fc.array(fc.nat(1000), { maxLength: 6 }),
        async (plain, chunkSize, cutsIn, cutsOut) => {
          const ct = await collect(encryptStream(pieces(plain, cutsIn), key, { chunkSize, keyId: 'kbs:///a/b/c' }));
          assert.deepEqual(await collect(decryptStream(pieces(ct, cutsOut), key)), plain);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('passes the key id from the header to a key resolver', async () => {
    const ct = encryptBytes(new Uint8Array(10), key, { keyId: 'kbs:///default/key/x', chunkSize: C });
    const seen: string[] = [];
    const out = await collect(decryptStream([ct], (h) => (seen.push(h.keyId), key)));
    assert.deepEqual(seen, ['kbs:///default/key/x']);
    assert.equal(out.length, 10);
  });

  test('rejects every single bit flip anywhere in the stream (property)', async () => {
    const plain = new Uint8Array(randomBytes(3 * C + 9));
    const ct = encryptBytes(plain, key, { chunkSize: C, keyId: 'k' });
    await fc.assert(
      fc.asyncProperty(fc.nat(ct.length - 1), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const bad = ct.slice();
        bad[at] ^= 1 << bit;
        const { error } = await attempt(bad);
        assert.ok(error instanceof VerificationFailed || error instanceof MalformedInput || (error as Error)?.name === 'Unsupported', `flip at ${at}`);
      }),
      { numRuns: 200 },
    );
  });

  test('rejects a flipped header byte, ciphertext byte and tag byte with named checks and no output', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(3 * C)), key, { chunkSize: C });
    const cases: [number, string][] = [
      [20, 'data.header.tag'],
      [record(1) + 5, 'data.chunk.tag'],
      [record(2) - 1, 'data.chunk.tag'],
    ];
    for (const [at, check] of cases) {
      const bad = ct.slice();
      bad[at] ^= 0x80;
      const { error, emitted } = await attempt(bad);
      assert.ok(isCheck(check)(error), `${at}: ${String(error)}`);
      if (at < record(1)) assert.equal(emitted, 0);
    }
  });

  test('rejects swapped, dropped and duplicated chunks', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(3 * C + 1)), key, { chunkSize: C });
    const rec = (i: number) => ct.subarray(record(i), record(i + 1));
    const head = ct.subarray(0, HEADER);
    const tail = ct.subarray(record(3));
    const variants = {
      swap: concatBytes(head, rec(1), rec(0), rec(2), tail),
      drop: concatBytes(head, rec(0), rec(2), tail),
      duplicate: concatBytes(head, rec(0), rec(0), rec(1), rec(2), tail),
      dropFinal: concatBytes(head, rec(0), rec(1), rec(2)),
      finalMovedUp: concatBytes(head, rec(0), tail),
    };
    for (const [name, bad] of Object.entries(variants)) {
      const { error } = await attempt(bad);
      assert.ok(error instanceof VerificationFailed, `${name}: ${String(error)}`);
    }
    assert.ok(isCheck('data.stream.truncated')((await attempt(variants.dropFinal)).error));
  });

  test('rejects truncation at every byte position and never completes', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(2 * C + 3)), key, { chunkSize: C });
    for (let n = 0; n < ct.length; n++) {
      const { error } = await attempt(ct.subarray(0, n));
      assert.ok(error instanceof VerificationFailed, `length ${n}: ${String(error)}`);
      assert.throws(() => decryptBytes(ct.subarray(0, n), key), VerificationFailed);
    }
  });

  test('rejects truncation exactly at each chunk boundary as data.stream.truncated', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(3 * C)), key, { chunkSize: C });
    for (const i of [0, 1, 2, 3]) assert.ok(isCheck('data.stream.truncated')((await attempt(ct.subarray(0, record(i)))).error), `boundary ${i}`);
  });

  test('rejects appended data of any length', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(C + 7)), key, { chunkSize: C });
    for (const extra of [1, 15, 16, C, C + 16, 200]) {
      const { error } = await attempt(concatBytes(ct, new Uint8Array(extra)));
      assert.ok(isCheck('data.chunk.tag')(error), `+${extra}: ${String(error)}`);
    }
    const twice = concatBytes(ct, ct.subarray(HEADER));
    assert.ok((await attempt(twice)).error instanceof VerificationFailed);
  });

  test('rejects a wrong key before emitting anything', async () => {
    const ct = encryptBytes(new Uint8Array(randomBytes(2 * C)), key, { chunkSize: C });
    const { error, emitted } = await attempt(ct, new Uint8Array(32));
    assert.ok(isCheck('data.header.tag')(error));
    assert.equal(emitted, 0);
  });

  test('rejects a header transplanted from another file under the same key', async () => {
    const a = encryptBytes(new Uint8Array(randomBytes(C)), key, { chunkSize: C });
    const b = encryptBytes(new Uint8Array(randomBytes(C)), key, { chunkSize: C });
    const { error } = await attempt(concatBytes(a.subarray(0, HEADER), b.subarray(HEADER)));
    assert.ok(isCheck('data.chunk.tag')(error));
  });

  test('rejects input that is not this format as MalformedInput', async () => {
    const { error } = await attempt(new TextEncoder().encode('hello, this is plain text and not encrypted at all'));
    assert.ok(error instanceof MalformedInput);
    assert.ok(isCheck('data.stream.truncated')((await attempt(new Uint8Array(0))).error));
  });
});
