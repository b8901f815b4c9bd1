/**
 * Encrypting side of the coco stream format (docs/formats.md): constant memory (one chunk buffer),
 * zero-copy when the input arrives in pieces of at least one chunk.
 * @module
 */
import { BlockBuffer } from './block-buffer.js';
import { createCipheriv } from 'node:crypto';
import { concatBytes } from '../core/index.js';
import { buildStreamHeader, chunkNonce, type StreamHeader } from './stream-format.js';

export interface EncryptOptions {
  /** Public label of the key, stored in the header (e.g. `kbs:///default/key/dataset-a`). */
  keyId?: string;
  /** Plaintext bytes per chunk; default 1 MiB. */
  chunkSize?: number;
  /** Fixed salt, for test vectors only; random by default. */
  salt?: Uint8Array;
}

/**
 * Incremental encryptor: `push` plaintext pieces, then `finish` once. Each call returns the
 * ciphertext pieces ready to write (the header comes first, from the first call).
 */
export class StreamEncryptor {
  readonly header: StreamHeader;
  private readonly chunkKey: Buffer;
  private readonly blocks: BlockBuffer;
  private readonly nonce = Buffer.alloc(12);
  private index = 0;
  private headerSent = false;
  private finished = false;

  constructor(key: Uint8Array, opts: EncryptOptions = {}) {
    const { header, keys } = buildStreamHeader(key, opts);
    this.header = header;
    this.chunkKey = keys.chunkKey;
    this.blocks = new BlockBuffer(header.chunkSize);
  }

  /** Encrypt what fills whole chunks; keep the remainder (less than one chunk) buffered. */
  push(piece: Uint8Array): Uint8Array[] {
    if (this.finished) throw new TypeError('StreamEncryptor.push after finish');
    const out = this.takeHeader();
    this.blocks.push(piece, (block) => this.seal(block, false, out));
    return out;
  }

  /** Seal the final chunk (shorter than a full chunk, possibly empty). */
  finish(): Uint8Array[] {
    if (this.finished) throw new TypeError('StreamEncryptor.finish called twice');
    const out = this.takeHeader();
    this.seal(this.blocks.remainder(), true, out);
    this.finished = true;
    return out;
  }

  private takeHeader(): Uint8Array[] {
    if (this.headerSent) return [];
    this.headerSent = true;
    return [this.header.bytes];
  }

  private seal(plain: Uint8Array, final: boolean, out: Uint8Array[]): void {
    const cipher = createCipheriv('aes-256-gcm', this.chunkKey, chunkNonce(this.index++, final, this.nonce), { authTagLength: 16 });
    const ct = cipher.update(plain);
    cipher.final();
    if (ct.length > 0) out.push(ct);
    out.push(cipher.getAuthTag());
  }
}

/** Encrypt an async (or sync) iterable of plaintext pieces into ciphertext pieces. */
export async function* encryptStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  key: Uint8Array,
  opts: EncryptOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const enc = new StreamEncryptor(key, opts);
  for await (const piece of source) yield* enc.push(piece);
  yield* enc.finish();
}

/** Encrypt a whole buffer (small inputs, tests, vectors). */
export function encryptBytes(plaintext: Uint8Array, key: Uint8Array, opts: EncryptOptions = {}): Uint8Array {
  const enc = new StreamEncryptor(key, opts);
  return concatBytes(...enc.push(plaintext), ...enc.finish());
}
