/**
 * Encrypts released resources to the TEE's key (`encryptJwe`), on a worker thread while the event
 * loop is busy.
 *
 * An EC release costs an ephemeral key pair and an ECDH (≈ 100 µs for P-256), about a third of a
 * whole handshake's CPU. Under load, moving it to one worker thread lets the main thread serve more
 * handshakes, using the other core. When the loop is mostly idle the hop would only add latency and
 * wake-ups, so releases are then encrypted in place. "Busy" is the event loop's utilisation over the
 * last sampling period (`performance.eventLoopUtilization`).
 *
 * A worker that fails (does not start, crashes) is not restarted: its pending releases and all later
 * ones are encrypted in place, which is the same computation. RSA recipients are always encrypted in
 * place (an RSA public-key operation is cheap).
 * @module
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { MalformedInput, Unavailable, Unsupported, encryptJwe, jweAlgFor, type FlattenedJwe, type PublicJwk } from '../../core/index.js';
import { startModuleWorker } from '../worker-thread.js';

export interface JweSealer {
  /** Encrypt `plaintext` to `recipient` (a flattened JWE, as `encryptJwe`). */
  seal(plaintext: Uint8Array, recipient: PublicJwk): Promise<FlattenedJwe>;
  /** Releases encrypted on the worker thread so far. */
  readonly offloaded: number;
  /** Stop the worker thread. */
  close(): Promise<void>;
}

/** `encryptJwe` as a promise: its errors reject rather than throw. */
function sealHere(plaintext: Uint8Array, recipient: PublicJwk): Promise<FlattenedJwe> {
  try {
    return Promise.resolve(encryptJwe(plaintext, recipient));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Encrypts every release on the calling thread. */
export function inlineJweSealer(): JweSealer {
  return {
    seal: sealHere,
    offloaded: 0,
    close: () => Promise.resolve(),
  };
}

export interface ThreadedSealerOptions {
  /** Offload while the loop's utilisation is at least this (0..1; 0 = always). Default 0.8. */
  busyAbove?: number;
  /** How often utilisation is sampled, ms. Default 100. */
  sampleMs?: number;
  /** Worker factory (tests); default: `jwe-sealer-worker.ts`. */
  spawn?: () => Worker;
}

interface Pending {
  plaintext: Uint8Array;
  recipient: PublicJwk;
  resolve: (jwe: FlattenedJwe) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; jwe: FlattenedJwe } | { id: number; error: { code: string; message: string } };

function errorFromWorker(e: { code: string; message: string }): Error {
  if (e.code === 'ERR_MALFORMED_INPUT') return new MalformedInput(e.message, { where: 'jwk' });
  if (e.code === 'ERR_UNSUPPORTED') return new Unsupported(e.message);
  return new Unavailable(`JWE encryption failed: ${e.message}`);
}

/** A sealer with one worker thread, started on first use, used while the event loop is busy. */
export function threadedJweSealer(options: ThreadedSealerOptions = {}): JweSealer {
  const busyAbove = options.busyAbove ?? 0.8;
  const spawn = options.spawn ?? (() => startModuleWorker(new URL('./jwe-sealer-worker.ts', import.meta.url)));
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let worker: Worker | undefined;
  let failed = false;
  let offloaded = 0;

  let busy = busyAbove <= 0;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const sampler =
    busyAbove > 0
      ? setInterval(() => {
          const now = performance.eventLoopUtilization();
          busy = performance.eventLoopUtilization(now, last).utilization >= busyAbove;
          last = now;
        }, options.sampleMs ?? 100).unref()
      : undefined;

  const sealInPlace = (p: Pending) => {
    try {
      p.resolve(encryptJwe(p.plaintext, p.recipient));
    } catch (err) {
      p.reject(err as Error);
    }
  };

  // The worker is gone: finish what it had in place, and encrypt in place from now on.
  const fail = () => {
    if (failed) return;
    failed = true;
    worker = undefined;
    const left = [...pending.values()];
    pending.clear();
    left.forEach(sealInPlace);
  };

  const start = (): Worker | undefined => {
    if (worker || failed) return worker;
    try {
      const w = spawn();
      w.on('message', (m: Reply) => {
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if ('jwe' in m) {
          offloaded++;
          p.resolve(m.jwe);
        } else {
          p.reject(errorFromWorker(m.error));
        }
        if (pending.size === 0) w.unref();
      });
      w.on('error', fail);
      w.on('exit', fail);
      w.unref();
      worker = w;
    } catch {
      fail();
    }
    return worker;
  };

  return {
    seal(plaintext, recipient) {
      // An idle loop, RSA recipients and unsupported keys (same errors as in place): on this thread.
      if (!busy || recipient.kty !== 'EC') return sealHere(plaintext, recipient);
      try {
        jweAlgFor(recipient);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      const w = start();
      if (!w) return sealHere(plaintext, recipient);
      return new Promise<FlattenedJwe>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { plaintext, recipient, resolve, reject });
        // Referenced while a release is outstanding, so its reply is not lost to an exiting process.
        if (pending.size === 1) w.ref();
        w.postMessage({ id, plaintext, recipient });
      });
    },
    get offloaded() {
      return offloaded;
    },
    async close() {
      if (sampler) clearInterval(sampler);
      const w = worker;
      failed = true;
      worker = undefined;
      if (w) {
        w.removeAllListeners('exit');
        await w.terminate();
      }
      const left = [...pending.values()];
      pending.clear();
      left.forEach(sealInPlace);
    },
  };
}
