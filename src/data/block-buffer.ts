/**
 * Re-blocks a byte stream into fixed-size blocks with one reusable buffer: the one piece of
 * bookkeeping the stream encryptor (plaintext chunks) and decryptor (ciphertext records) share.
 * @module
 */

export class BlockBuffer {
  readonly size: number;
  private readonly pending: Buffer;
  private fill = 0;

  constructor(size: number) {
    this.size = size;
    this.pending = Buffer.allocUnsafe(size);
  }

  /** Bytes held back (always fewer than `size`). */
  get buffered(): number {
    return this.fill;
  }

  /** The held-back bytes (a view, valid until the next `push`). */
  remainder(): Buffer {
    return this.pending.subarray(0, this.fill);
  }

  /**
   * Call `onBlock` for every complete block that `piece` (after what was buffered) makes up, in
   * order; blocks are views, valid only during the call. The rest is buffered.
   */
  push(piece: Uint8Array, onBlock: (block: Uint8Array) => void): void {
    const size = this.size;
    let off = 0;
    if (this.fill > 0) {
      const take = Math.min(size - this.fill, piece.length);
      this.pending.set(piece.subarray(0, take), this.fill);
      this.fill += take;
      off = take;
      if (this.fill < size) return;
      this.fill = 0;
      onBlock(this.pending);
    }
    while (piece.length - off >= size) {
      onBlock(piece.subarray(off, off + size));
      off += size;
    }
    if (off < piece.length) {
      this.pending.set(piece.subarray(off), 0);
      this.fill = piece.length - off;
    }
  }
}
