/**
 * The storage initializer for encrypted models (seed workload 2; KServe's storage-initializer
 * contract: download `<storageUri>` into a model directory such as `/mnt/models`). The model is a
 * coco encrypted stream (docs/formats.md); its key is a KBS resource fetched after attestation.
 * Decryption streams into a temporary file in the target directory, which is renamed into place
 * only after every chunk verified and the optional plaintext digest matched: fail closed.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MalformedInput, NotFound, Unavailable, VerificationFailed, bytesEqual, fromHex } from '../core/index.js';
import { decryptStream, parseDataKey } from '../data/index.js';
import { parseResourceUri } from '../protocol/index.js';

/** Fetches a KBS resource by `kbs:///repo/type/tag` URI (the guest KBS client, or the in-guest REST API). */
export type ResourceGetter = (uri: string) => Promise<Uint8Array>;

export interface ModelFetchOptions {
  /** `https://…`, `coco+https://…` (KServe storage URI form), `file://…` or a local path. */
  source: string;
  /** Model directory, e.g. `/mnt/models` (created if missing; memory-backed in the pod spec). */
  destDir: string;
  getResource: ResourceGetter;
  /** Key resource URI; default: the key id recorded in the encrypted file's header. */
  keyUri?: string;
  /** File name in `destDir`; default: the source's last path segment without `.enc`. */
  fileName?: string;
  /** Expected SHA-256 (hex) of the decrypted model. */
  expectedSha256?: string;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}

export interface ModelFetchResult {
  path: string;
  bytes: number;
  sha256: string;
  keyUri: string;
}

/** Download, decrypt and verify one model file into `destDir`. */
export async function fetchModel(opts: ModelFetchOptions): Promise<ModelFetchResult> {
  const log = opts.log ?? (() => undefined);
  const source = opts.source.replace(/^coco\+(https?:\/\/)/, '$1');
  const name = opts.fileName ?? defaultName(source);
  if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) throw new MalformedInput(`unsafe model file name ${JSON.stringify(name)}`, { where: 'name' });
  const expected = opts.expectedSha256 === undefined ? undefined : fromHex(opts.expectedSha256.toLowerCase(), 'sha256');
  if (expected && expected.length !== 32) throw new MalformedInput('--sha256 must be 64 hex digits', { where: 'sha256' });

  const pieces = await openSource(source, opts.fetchImpl ?? fetch);
  let keyUri = opts.keyUri;
  const keyFor = async (header: { keyId: string }): Promise<Uint8Array> => {
    keyUri ??= header.keyId;
    if (!keyUri) throw new MalformedInput('the encrypted model names no key; pass --key kbs:///repo/type/tag', { where: 'key' });
    parseResourceUri(keyUri);
    log(`fetching key ${keyUri}`);
    const key = parseDataKey(await opts.getResource(keyUri));
    if (!key) throw new MalformedInput(`resource ${keyUri} is not a 32-byte key`, { where: 'key' });
    return key;
  };

  await mkdir(opts.destDir, { recursive: true });
  const final = join(opts.destDir, name);
  const tmp = join(opts.destDir, `.${name}.${randomBytes(6).toString('hex')}.partial`);
  const fh = await open(tmp, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const p of decryptStream(pieces, keyFor)) {
      hash.update(p);
      bytes += p.length;
      await fh.write(p);
    }
    const digest = new Uint8Array(hash.digest());
    if (expected && !bytesEqual(digest, expected)) {
      throw new VerificationFailed('data.model.sha256', 'decrypted model does not have the expected SHA-256');
    }
    await fh.sync();
    await fh.close();
    await rename(tmp, final);
    const sha256 = Buffer.from(digest).toString('hex');
    log(`model verified and decrypted: ${final} (${bytes} bytes, sha256 ${sha256})`);
    return { path: final, bytes, sha256, keyUri: keyUri ?? '' };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** A `ResourceGetter` over the in-guest REST API (`GET /cdh/resource/<repo>/<type>/<tag>`). */
export function resourceGetterFromApi(apiBase: string, fetchImpl: typeof fetch = fetch): ResourceGetter {
  const base = apiBase.replace(/\/+$/, '');
  return async (uri) => {
    const parsed = parseResourceUri(uri);
    if (parsed.plugin !== 'resource') throw new MalformedInput(`only kbs:/// resource URIs are supported here, got ${uri}`, { where: 'uri' });
    let res: Response;
    try {
      res = await fetchImpl(`${base}/cdh/resource/${parsed.path}`);
    } catch (cause) {
      throw new Unavailable(`cannot reach the in-guest API at ${base}`, { cause });
    }
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status === 404) throw new NotFound(`resource ${uri} not found (in-guest API: ${Buffer.from(body.subarray(0, 200)).toString('utf8')})`);
    if (!res.ok) throw new Unavailable(`in-guest API refused ${uri}: HTTP ${res.status} ${Buffer.from(body.subarray(0, 200)).toString('utf8')}`);
    return body;
  };
}

async function openSource(source: string, fetchImpl: typeof fetch): Promise<AsyncIterable<Uint8Array>> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetchImpl(source);
    } catch (cause) {
      throw new Unavailable(`cannot download ${source}`, { cause });
    }
    if (res.status === 404) throw new NotFound(`${source}: not found`);
    if (!res.ok || !res.body) throw new Unavailable(`${source}: HTTP ${res.status}`);
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }
  const path = source.startsWith('file://') ? new URL(source).pathname : source;
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

function defaultName(source: string): string {
  const last = basename(/^https?:\/\//.test(source) ? new URL(source).pathname : source.replace(/^file:\/\//, ''));
  return last.endsWith('.enc') && last.length > 4 ? last.slice(0, -4) : last || 'model';
}
