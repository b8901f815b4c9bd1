/**
 * Worker-thread side of `jwe-sealer.ts`: encrypts resource releases with `encryptJwe` off the main
 * thread. Messages in: `{ id, plaintext, recipient }`; out: `{ id, jwe }` or `{ id, error: { code, message } }`.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { CocoError, encryptJwe, type PublicJwk } from '../../core/index.js';

interface SealRequest {
  id: number;
  plaintext: Uint8Array;
  recipient: PublicJwk;
}

const port = parentPort;
if (!port) throw new Error('jwe-sealer-worker runs in a worker thread');
port.on('message', (m: SealRequest) => {
  try {
    port.postMessage({ id: m.id, jwe: encryptJwe(m.plaintext, m.recipient) });
  } catch (err) {
    const code = err instanceof CocoError ? err.code : 'ERR_UNAVAILABLE';
    port.postMessage({ id: m.id, error: { code, message: (err as Error).message } });
  }
});
