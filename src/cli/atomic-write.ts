/**
 * Write a stream of verified pieces to a temporary file beside the target and rename it into
 * place only when the whole stream succeeded, so a failed decryption leaves no plaintext behind.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Drain `pieces` into `path` atomically (mode 0600 by default); returns the bytes written. */
export async function writeAtomically(path: string, pieces: AsyncIterable<Uint8Array>, mode = 0o600): Promise<number> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  const fh = await open(tmp, 'wx', mode);
  let written = 0;
  try {
    for await (const p of pieces) {
      await fh.write(p);
      written += p.length;
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
    return written;
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
