/**
 * Worker-thread side of `crypto-thread.ts`. Each message is an array of jobs, answered by one array of
 * replies in the same order:
 * - `{ op: 'seal', id, plaintext, recipient }` → `{ id, jwe }` (`encryptJwe`);
 * - `{ op: 'sign', id, input, keyId, pkcs8? }` → `{ id, signature }` (ES256, IEEE P1363), the key
 *   arriving (as PKCS#8) with the first job of its `keyId` and imported once;
 * or `{ id, error: { code, message } }`.
 * @module
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { CocoError, disableNativeP256, encryptJwe, type PublicJwk } from '../core/index.js';

if (process.env.COCO_NATIVE_P256 === '0') disableNativeP256();

type Request =
  | { op: 'seal'; id: number; plaintext: Uint8Array; recipient: PublicJwk }
  | { op: 'sign'; id: number; input: Uint8Array; keyId: number; pkcs8?: Uint8Array };

const keys = new Map<number, KeyObject>();

function keyFor(keyId: number, pkcs8: Uint8Array | undefined): KeyObject {
  let key = keys.get(keyId);
  if (!key) {
    if (!pkcs8) throw new Error(`signing key ${keyId} was never sent`);
    keys.set(keyId, (key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })));
  }
  return key;
}

function run(m: Request): Record<string, unknown> {
  try {
    if (m.op === 'seal') return { id: m.id, jwe: encryptJwe(m.plaintext, m.recipient) };
    return { id: m.id, signature: new Uint8Array(sign('sha256', m.input, { key: keyFor(m.keyId, m.pkcs8), dsaEncoding: 'ieee-p1363' })) };
  } catch (err) {
    const code = err instanceof CocoError ? err.code : 'ERR_UNAVAILABLE';
    return { id: m.id, error: { code, message: (err as Error).message } };
  }
}

const port = parentPort;
if (!port) throw new Error('crypto-thread-worker runs in a worker thread');
port.on('message', (jobs: Request[]) => {
  port.postMessage(jobs.map(run));
});
