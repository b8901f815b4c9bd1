/**
 * `coco data encrypt|decrypt`: the coco encrypted stream format (docs/formats.md) on files.
 * Decryption writes to a temporary file and renames it only after the last chunk verified.
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { isCocoError, VerificationFailed } from '../core/index.js';
import { STREAM_DEFAULT_CHUNK_SIZE, decryptStream, encryptStream } from '../data/index.js';
import { writeAtomically } from './atomic-write.js';
import { readKeyFile } from './key-file.js';
import { withProgress } from './progress.js';

export const summary = 'encrypt/decrypt files in the streaming authenticated format';

const USAGE = `usage:
  coco data encrypt --key FILE --in PATH|- --out PATH|- [--key-id kbs:///repo/type/tag] [--chunk-size BYTES]
  coco data decrypt --key FILE --in PATH|- --out PATH
  coco data inspect --in PATH            (print the header: key id, chunk size; no key needed)
Keys are 32 bytes (raw, hex or base64 in the file). A progress bar is drawn when stderr is a terminal.`;

const OPTIONS = {
  key: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  'key-id': { type: 'string' },
  'chunk-size': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  let values;
  try {
    values = parseArgs({ args: rest, options: OPTIONS, strict: true }).values;
  } catch (err) {
    console.error(`coco data: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help || !sub || !['encrypt', 'decrypt', 'inspect'].includes(sub) || !values.in) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    if (sub === 'inspect') return await inspect(values.in);
    if (!values.key || !values.out) {
      console.error(USAGE);
      return 2;
    }
    const key = await readKeyFile(values.key);
    if (sub === 'encrypt') {
      const chunkSize = values['chunk-size'] ? Number(values['chunk-size']) : STREAM_DEFAULT_CHUNK_SIZE;
      await encryptFile(values.in, values.out, key, { keyId: values['key-id'], chunkSize });
    } else {
      if (values.out === '-') {
        console.error('coco data decrypt: --out must be a file (plaintext is committed only after the whole stream verified)');
        return 2;
      }
      await decryptFile(values.in, values.out, key);
    }
    return 0;
  } catch (err) {
    if (!isCocoError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    const check = err instanceof VerificationFailed ? ` [${err.check}]` : '';
    console.error(`coco data ${sub}: ${(err as Error).message}${check}`);
    return 1;
  }
}

async function inputOf(path: string): Promise<{ pieces: AsyncIterable<Uint8Array>; size: number | undefined }> {
  if (path === '-') return { pieces: process.stdin, size: undefined };
  const st = await stat(path);
  return { pieces: createReadStream(path, { highWaterMark: 1024 * 1024 }), size: st.size };
}

/** Encrypt `inPath` (or stdin) to `outPath` (or stdout). */
export async function encryptFile(inPath: string, outPath: string, key: Uint8Array, opts: { keyId?: string | undefined; chunkSize?: number }): Promise<void> {
  const { pieces, size } = await inputOf(inPath);
  const cipher = encryptStream(withProgress(pieces, 'encrypt', size), key, { keyId: opts.keyId ?? '', chunkSize: opts.chunkSize ?? STREAM_DEFAULT_CHUNK_SIZE });
  if (outPath === '-') await pipeline(cipher, process.stdout);
  else await writeAtomically(outPath, cipher, 0o644);
}

/** Decrypt `inPath` (or stdin) into `outPath`, committing only a fully verified result. */
export async function decryptFile(inPath: string, outPath: string, key: Uint8Array): Promise<number> {
  const { pieces, size } = await inputOf(inPath);
  return writeAtomically(outPath, decryptStream(withProgress(pieces, 'decrypt', size), key));
}

async function inspect(path: string): Promise<number> {
  const { parseStreamHeader, streamHeaderLength } = await import('../data/index.js');
  const { pieces } = await inputOf(path);
  let buf = Buffer.alloc(0);
  for await (const p of pieces) {
    buf = Buffer.concat([buf, p]);
    const need = streamHeaderLength(buf);
    if (need !== undefined && buf.length >= need) break;
  }
  const h = parseStreamHeader(buf);
  console.log(JSON.stringify({ format: 'coco-stream', version: 1, keyId: h.keyId, chunkSize: h.chunkSize }, null, 2));
  return 0;
}
