/**
 * `coco key create`: generate a 32-byte data key, upload it to Trustee as a KBS resource
 * (`POST /kbs/v0/resource/<repo>/<type>/<tag>`, admin bearer token), and keep a local copy for
 * `coco data encrypt`. The key is never printed unless `--print` is given.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, unlink } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError, Unauthorized, Unavailable, isCocoError, toBase64, toHex } from '../core/index.js';
import { formatResourcePath, parseResourcePath, type ResourcePath } from '../protocol/index.js';
import { readKeyFile } from './key-file.js';

export const summary = 'create a data key and upload it to Trustee as a resource';

const USAGE = `usage:
  coco key create --kbs URL --id repo/type/tag [--out FILE] [--in FILE] [--format raw|base64|hex]
                  [--token-file FILE] [--print]
The admin token is read from --token-file or the COCO_ADMIN_TOKEN environment variable.
--in uploads an existing key instead of generating one; --out saves the key (mode 0600);
--format is how the KBS stores it (base64/hex suit keys consumed as sealed-secret env values).`;

const OPTIONS = {
  kbs: { type: 'string' },
  id: { type: 'string' },
  out: { type: 'string' },
  in: { type: 'string' },
  format: { type: 'string' },
  'token-file': { type: 'string' },
  print: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function run(args: string[], fetchImpl: typeof fetch = fetch): Promise<number> {
  const [sub, ...rest] = args;
  let v;
  try {
    v = parseArgs({ args: rest, options: OPTIONS, strict: true }).values;
  } catch (err) {
    console.error(`coco key: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (v.help || sub !== 'create' || !v.kbs || !v.id) {
    console.error(USAGE);
    return v.help ? 0 : 2;
  }
  try {
    const path = parseResourcePath(v.id);
    const format = v.format ?? 'raw';
    if (!['raw', 'base64', 'hex'].includes(format)) throw new ConfigError(`--format must be raw, base64 or hex`, { key: 'format' });
    const token = v['token-file'] ? (await readFile(v['token-file'], 'utf8')).trim() : process.env.COCO_ADMIN_TOKEN;
    if (!token) throw new ConfigError('no admin token: pass --token-file FILE or set COCO_ADMIN_TOKEN', { key: 'token' });
    const key = v.in ? await readKeyFile(v.in) : new Uint8Array(randomBytes(32));
    const stored = format === 'raw' ? key : new TextEncoder().encode(format === 'hex' ? toHex(key) : toBase64(key));
    // Claim the output file first, so an existing file never leaves an uploaded key unsaved.
    const fh = v.out ? await open(v.out, 'wx', 0o600) : undefined;
    try {
      await uploadResource(v.kbs, path, stored, token, fetchImpl);
      await fh?.writeFile(key);
      await fh?.close();
    } catch (err) {
      await fh?.close();
      if (v.out) await unlink(v.out).catch(() => undefined);
      throw err;
    }
    console.error(`uploaded a 32-byte key to ${v.kbs} as kbs:///${formatResourcePath(path)}${v.out ? `; saved to ${v.out}` : ''}`);
    if (v.print) console.log(toBase64(key));
    else if (!v.out && !v.in) console.error('note: the key was not saved locally (use --out FILE to keep a copy, or --print)');
    return 0;
  } catch (err) {
    if (!isCocoError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    console.error(`coco key create: ${(err as Error).message}`);
    return err instanceof Unauthorized ? 4 : err instanceof Unavailable ? 5 : 1;
  }
}

/** Upload bytes as a KBS resource with an admin bearer token (upstream `set-resource`). */
export async function uploadResource(kbsUrl: string, path: ResourcePath, bytes: Uint8Array, token: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  const url = `${kbsUrl.replace(/\/+$/, '')}/kbs/v0/resource/${formatResourcePath(path)}`;
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
      body: bytes,
    });
  } catch (cause) {
    throw new Unavailable(`cannot reach the KBS at ${kbsUrl}`, { cause });
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 401 || res.status === 403) throw new Unauthorized(`the KBS refused the admin token (HTTP ${res.status})`);
  if (!res.ok) throw new Unavailable(`the KBS answered HTTP ${res.status} to the resource upload`);
}
