import assert from 'node:assert/strict';
import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../../test/support/fixtures.js';
import { decryptBytes } from './decrypt-stream.js';
import { encryptBytes } from './encrypt-stream.js';

interface Vector {
  key: Buffer;
  salt: Buffer;
  chunkSize: number;
  keyId: string;
  plaintext: Buffer;
  ciphertext: Buffer;
}

function vectorsFromDoc(): Vector[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'formats.md'), 'utf8');
  return [...doc.matchAll(/```vector\n([\s\S]*?)```/g)].map((m) => {
    const f: Record<string, string> = {};
    for (const line of m[1]!.trim().split('\n')) {
      const [k, ...v] = line.split('=');
      f[k!.trim()] = v.join('=').trim();
    }
    return {
      key: Buffer.from(f.key!, 'hex'),
      salt: Buffer.from(f.salt!, 'hex'),
      chunkSize: Number(f.chunk_size),
      keyId: f.key_id ?? '',
      plaintext: Buffer.from(f.plaintext ?? '', 'hex'),
      ciphertext: Buffer.from(f.ciphertext!, 'hex'),
    };
  });
}

/** A decoder written from docs/formats.md alone, sharing no code with src/data. */
function decodeFromSpec(ct: Buffer, key: Buffer): Buffer {
  assert.equal(ct.subarray(0, 8).toString('ascii'), 'COCOSTRM');
  const chunkSize = ct.readUInt32BE(10);
  const salt = ct.subarray(14, 46);
  const n = ct.readUInt16BE(46);
  const okm = Buffer.from(hkdfSync('sha256', key, salt, Buffer.from('coco-stream v1 keys'), 64));
  const tag = createHmac('sha256', okm.subarray(32)).update(ct.subarray(0, 48 + n)).digest();
  assert.deepEqual(tag, ct.subarray(48 + n, 80 + n));
  const out: Buffer[] = [];
  let off = 80 + n;
  for (let i = 0; ; i++) {
    const final = ct.length - off < chunkSize + 16;
    const len = final ? ct.length - off : chunkSize + 16;
    const nonce = Buffer.alloc(12);
    nonce.writeBigUInt64BE(BigInt(i), 3);
    nonce[11] = final ? 1 : 0;
    const d = createDecipheriv('aes-256-gcm', okm.subarray(0, 32), nonce);
    d.setAuthTag(ct.subarray(off + len - 16, off + len));
    out.push(d.update(ct.subarray(off, off + len - 16)), d.final());
    off += len;
    if (final) return Buffer.concat(out);
  }
}

describe('docs/formats.md test vectors', () => {
  const vectors = vectorsFromDoc();

  test('the document has at least three vectors', () => {
    assert.ok(vectors.length >= 3);
  });

  test('encryptBytes reproduces every vector byte for byte', () => {
    for (const v of vectors) {
      assert.equal(Buffer.from(encryptBytes(v.plaintext, v.key, { chunkSize: v.chunkSize, keyId: v.keyId, salt: v.salt })).toString('hex'), v.ciphertext.toString('hex'));
    }
  });

  test('decryptBytes and an independent decoder written from the document agree on every vector', () => {
    for (const v of vectors) {
      assert.deepEqual(Buffer.from(decryptBytes(v.ciphertext, v.key)), v.plaintext);
      assert.deepEqual(decodeFromSpec(v.ciphertext, v.key), v.plaintext);
    }
  });
});
