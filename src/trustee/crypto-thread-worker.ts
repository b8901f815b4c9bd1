/**
 * Worker-thread side of `crypto-thread.ts`. Messages in:
 * - `{ op: 'seal', id, plaintext, recipient }` → `{ id, jwe }` (`encryptJwe`);
 * - `{ op: 'sign', id, input, keyId, pkcs8 }` → `{ id, signature }` (ES256, IEEE P1363), the key being
 *   imported once per `keyId`;
 * or `{ id, error: { code, message } }`.
 * @module
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { CocoError, encryptJwe, type PublicJwk } from '../core/index.js';

type Request =
  | { op: 'seal'; id: number; plaintext: Uint8Array; recipient: PublicJwk }
  | { op: 'sign'; id: number; input: Uint8Array; keyId: number; pkcs8: Uint8Array };

const keys = new Map<number, KeyObject>();

function keyFor(keyId: number, pkcs8: Uint8Array): KeyObject {
  let key = keys.get(keyId);
  if (!key) keys.set(keyId, (key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })));
  return key;
}

const port = parentPort;
if (!port) throw new Error('crypto-thread-worker runs in a worker thread');
port.on('message', (m: Request) => {
  try {
    if (m.op === 'seal') port.postMessage({ id: m.id, jwe: encryptJwe(m.plaintext, m.recipient) });
    else port.postMessage({ id: m.id, signature: sign('sha256', m.input, { key: keyFor(m.keyId, m.pkcs8), dsaEncoding: 'ieee-p1363' }) });
  } catch (err) {
    const code = err instanceof CocoError ? err.code : 'ERR_UNAVAILABLE';
    port.postMessage({ id: m.id, error: { code, message: (err as Error).message } });
  }
});
