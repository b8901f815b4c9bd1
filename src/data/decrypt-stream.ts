/**
 * Decrypting side of the coco stream format (docs/formats.md). Plaintext leaves only after its
 * chunk's tag verified; a stream that ends without its final chunk throws at the end, so callers
 * must commit output only when iteration completes (the CLI writes a temp file and renames).
 * @module
 */
import { BlockBuffer } from './block-buffer.js';
import { createDecipheriv } from 'node:crypto';
import { VerificationFailed, concatBytes } from '../core/index.js';
import {
  STREAM_MAX_CHUNK_SIZE,
  STREAM_TAG_BYTES,
  chunkNonce,
  openStreamHeader,
  parseStreamHeader,
  streamHeaderLength,
  type StreamHeader,
  type StreamKeys,
} from './stream-format.js';

/** The data key, or a function that picks it from the (not yet authenticated) header's key id. */
export type KeySource = Uint8Array | ((header: StreamHeader) => Uint8Array | Promise<Uint8Array>);

export interface DecryptOptions {
  /** Refuse headers asking for chunks above this (memory bound); default 64 MiB. */
  maxChunkSize?: number;
  /** Called once the header authenticated. */
  onHeader?: (header: StreamHeader) => void;
}

/** Verifies and decrypts chunk records once the header is open. */
export class ChunkOpener {
  private readonly chunkKey: Buffer;
  private readonly recordSize: number;
  private readonly blocks: BlockBuffer;
  private readonly nonce = Buffer.alloc(12);
  private index = 0;
  private done = false;

  constructor(keys: StreamKeys, chunkSize: number) {
    this.chunkKey = keys.chunkKey;
    this.recordSize = chunkSize + STREAM_TAG_BYTES;
    this.blocks = new BlockBuffer(this.recordSize);
  }

  /** Verified plaintext of every complete non-final record in `piece` (plus what was buffered). */
  push(piece: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.blocks.push(piece, (block) => this.open(block, false, out));
    return out;
  }

  /** End of input: the buffered remainder must be the final record. */
  finish(): Uint8Array[] {
    if (this.blocks.buffered < STREAM_TAG_BYTES) {
      throw new VerificationFailed('data.stream.truncated', `encrypted stream ends without its final chunk (after ${this.index} chunks)`);
    }
    const out: Uint8Array[] = [];
    this.open(this.blocks.remainder(), true, out);
    this.done = true;
    return out;
  }

  get complete(): boolean {
    return this.done;
  }

  private open(record: Uint8Array, final: boolean, out: Uint8Array[]): void {
    const split = record.length - STREAM_TAG_BYTES;
    const index = this.index++;
    const decipher = createDecipheriv('aes-256-gcm', this.chunkKey, chunkNonce(index, final, this.nonce), { authTagLength: 16 });
    decipher.setAuthTag(record.subarray(split));
    const plain = decipher.update(record.subarray(0, split));
    try {
      decipher.final();
    } catch {
      plain.fill(0);
      throw new VerificationFailed(
        'data.chunk.tag',
        `chunk ${index}${final ? ' (final)' : ''} failed authentication: altered, reordered, dropped, duplicated, truncated or extended data`,
      );
    }
    if (plain.length > 0) out.push(plain);
  }
}

/**
 * Decrypt an iterable of ciphertext pieces, yielding only verified plaintext. Throws
 * `MalformedInput` (not this format), `Unsupported` (version/suite), `LimitExceeded` (chunk size),
 * `VerificationFailed` with check `data.header.tag`, `data.chunk.tag` or `data.stream.truncated`.
 */
export async function* decryptStream(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  key: KeySource,
  opts: DecryptOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  let head: Uint8Array[] = [];
  let headLen = 0;
  let opener: ChunkOpener | undefined;
  for await (const piece of source) {
    if (opener) {
      yield* opener.push(piece);
      continue;
    }
    head.push(piece);
    headLen += piece.length;
    const prefix = head.length === 1 ? head[0]! : concatBytes(...head);
    head = [prefix];
    const need = streamHeaderLength(prefix);
    if (need === undefined || headLen < need) continue;
    const header = parseStreamHeader(prefix, opts.maxChunkSize ?? STREAM_MAX_CHUNK_SIZE);
    const k = typeof key === 'function' ? await key(header) : key;
    opener = new ChunkOpener(openStreamHeader(header, k), header.chunkSize);
    opts.onHeader?.(header);
    head = [];
    yield* opener.push(prefix.subarray(need));
  }
  if (!opener) {
    if (headLen === 0) throw new VerificationFailed('data.stream.truncated', 'encrypted stream is empty');
    streamHeaderLength(concatBytes(...head)); // a wrong magic is MalformedInput, not truncation
    throw new VerificationFailed('data.stream.truncated', 'encrypted stream ends inside its header');
  }
  yield* opener.finish();
}

/** Decrypt a whole buffer; returns the plaintext only if every chunk and the end verified. */
export function decryptBytes(ciphertext: Uint8Array, key: Uint8Array, opts: DecryptOptions = {}): Uint8Array {
  const need = streamHeaderLength(ciphertext);
  if (need === undefined || ciphertext.length < need) {
    throw new VerificationFailed('data.stream.truncated', 'encrypted stream ends inside its header');
  }
  const header = parseStreamHeader(ciphertext, opts.maxChunkSize ?? STREAM_MAX_CHUNK_SIZE);
  const opener = new ChunkOpener(openStreamHeader(header, key), header.chunkSize);
  opts.onHeader?.(header);
  const parts = opener.push(ciphertext.subarray(need));
  parts.push(...opener.finish());
  return concatBytes(...parts);
}
