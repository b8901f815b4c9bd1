/**
 * The public-key work of a handshake — encrypting the released resource to the TEE's key
 * (`encryptJwe`) and signing the EAR token (ES256) — on another thread while the event loop is busy.
 *
 * An EC release costs an ephemeral key pair and an ECDH (≈ 100 µs for P-256) and a token signature
 * ≈ 25 µs, together about 40 % of a handshake's CPU on the event loop. Under load, moving them to
 * another thread lets the main thread serve more handshakes, using the other core. When the loop is
 * mostly idle the hop would only add latency and wake-ups, so the work then runs in place. "Busy" is
 * the event loop's utilisation over the last sampling period (`performance.eventLoopUtilization`),
 * with hysteresis: offloading starts at `busyAbove` and stops only below `idleBelow`. A single
 * threshold oscillates under steady load — offloading frees the loop, its utilisation drops under the
 * threshold, the next period runs in place and the loop saturates again — and every in-place period
 * is a stall for all requests in flight.
 *
 * The other thread is the native addon's crypto thread when it is built (native/crypto_thread.c: P-256
 * releases and ES256 signatures, no JavaScript on that thread, about half the CPU per job of a
 * worker's message round trip), and otherwise a worker_threads Worker, which also takes P-384 and
 * P-521 releases. On the native thread, `signJws` with `releaseTo` also prepares a release to that
 * point in the same job (`PreparedRelease`), which `seal` then finishes here with one AES-256-GCM:
 * one job and one pair of thread wake-ups per handshake instead of two. A native thread that cannot
 * take a job hands that job to this thread and later ones to the worker. A worker that fails (does not start, crashes) is not restarted: its pending
 * jobs and all later ones run in place, which is the same computation. RSA recipients are always
 * encrypted in place (an RSA public-key operation is cheap). The signing key reaches the other thread
 * as PKCS#8 bytes, within this process, and is imported there once.
 * @module
 */
import { sign as signWith, type KeyObject } from 'node:crypto';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import {
  MalformedInput,
  Unavailable,
  Unsupported,
  bytesEqual,
  ecPointOf,
  encryptJwe,
  pointNotOnCurve,
  jweAlgFor,
  p256NativeThread,
  type FlattenedJwe,
  type P256NativeThread,
  type P256PreparedRelease,
  type P256SigningKey,
  type PublicJwk,
} from '../core/index.js';
import { startModuleWorker } from './worker-thread.js';

/** A P-256 private key as this module needs it: the key object for in-place work, PKCS#8 for the worker. */
export interface Es256Key {
  readonly key: KeyObject;
  readonly pkcs8: Uint8Array;
}

export interface CryptoThread {
  /**
   * Encrypt `plaintext` to `recipient` (a flattened JWE, as `encryptJwe`). With `prepared` (from
   * `signJws`) whose point is `recipient`'s, the JWE is made from it on this thread with one
   * AES-256-GCM; a prepared release for another key is given up, and one already used is ignored.
   */
  seal(plaintext: Uint8Array, recipient: PublicJwk, prepared?: PreparedRelease): Promise<FlattenedJwe>;
  /** ES256 signature (IEEE P1363, 64 bytes) of `input`. */
  signEs256(input: Uint8Array, key: Es256Key): Promise<Uint8Array>;
  /**
   * The compact JWS of `input` (the ASCII `header.payload`): `input`, a dot and its ES256 signature in
   * base64url; from the native thread also `digest`, the base64url of the token's SHA-256.
   */
  signJws(input: Uint8Array, key: Es256Key, releaseTo?: PublicJwk): Promise<SignedJws>;
  /** Give up a prepared release that will not be used (frees its native state now). */
  discard(prepared: PreparedRelease): void;
  /** Jobs done on the worker thread so far. */
  readonly offloaded: number;
  /**
   * Start the worker thread now rather than on the first busy period, so that period does not wait
   * for the worker's modules to load (a few hundred ms). A server calls it once it listens.
   */
  prestart(): void;
  /** Stop the worker thread. */
  close(): Promise<void>;
}

/** An `Es256Key` for `key` (a P-256 private key). */
export function es256Key(key: KeyObject): Es256Key {
  return { key, pkcs8: new Uint8Array(key.export({ format: 'der', type: 'pkcs8' })) };
}

/**
 * Bytes that own their whole ArrayBuffer. A message copies the entire buffer behind a typed array,
 * and small Buffers are views of Node's shared 8 KiB pool: posting one copies the whole pool slab.
 */
function own(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/** The job done in place, as a promise: its errors reject rather than throw. */
function here<T>(job: () => T): Promise<T> {
  try {
    return Promise.resolve(job());
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * A compact JWS and, when the thread that signed it computed it, the base64url of its SHA-256. When
 * asked with `releaseTo` (a P-256 key) and signed on the native thread, also a release to that key
 * prepared in the same job (see `PreparedRelease`).
 */
export interface SignedJws {
  token: string;
  digest?: string;
  release?: PreparedRelease;
}

/**
 * The plaintext-independent part of a P-256 release JWE (ephemeral key, ECDH, KEK, wrapped random
 * CEK, IV, and an AES-256-GCM context keyed with the CEK), computed on the native thread together with
 * the token's signature, so that the resource request that follows an attestation seals with one
 * AES-256-GCM on the event loop instead of a second job and its two thread wake-ups. `point` is the
 * recipient it was made for; no key material leaves native memory, and the cipher context is freed
 * by the single use or when the release is given up (`discard`).
 */
export interface PreparedRelease {
  readonly point: Uint8Array;
  readonly handle: P256PreparedRelease;
}

/** The point of a P-256 public key, or undefined for any other key or one that does not decode. */
function p256PointOf(jwk: PublicJwk): Uint8Array | undefined {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') return undefined;
  try {
    return ecPointOf(jwk);
  } catch {
    return undefined; // the resource request reports the key as it would have
  }
}

/** `input.signature` as one flat string (not nested concatenations that keep copies alive). */
export function compactJws(input: Uint8Array, signature: Uint8Array): string {
  return Buffer.concat([input, DOT, Buffer.from(Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64url'), 'latin1')]).toString('latin1');
}
const DOT = Buffer.from('.');

const signHere = (input: Uint8Array, key: Es256Key) => new Uint8Array(signWith('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }));

/** Does every job on the calling thread. */
export function inlineCryptoThread(): CryptoThread {
  return {
    seal: (plaintext, recipient) => here(() => encryptJwe(plaintext, recipient)),
    signEs256: (input, key) => here(() => signHere(input, key)),
    signJws: (input, key) => here(() => ({ token: compactJws(input, signHere(input, key)) })),
    discard: () => {},
    offloaded: 0,
    prestart: () => {},
    close: () => Promise.resolve(),
  };
}

export interface CryptoThreadOptions {
  /** Start offloading once the loop's utilisation is at least this (0..1; 0 = always). Default 0.8. */
  busyAbove?: number;
  /**
   * Stop offloading once the utilisation (with the work offloaded) is below this. Default 0.4: with
   * the public-key work gone the loop does roughly half as much, so a loop just busy enough to start
   * offloading stays above it.
   */
  idleBelow?: number;
  /** How often utilisation is sampled, ms. Default 100. */
  sampleMs?: number;
  /** Worker factory (tests); default: `crypto-thread-worker.ts`. */
  spawn?: () => Worker;
  /**
   * The native crypto thread for P-256 releases and signatures; false for the worker only. Default:
   * the addon's (`p256NativeThread()`) unless `spawn` is given.
   */
  native?: P256NativeThread | false;
}

interface Pending {
  /** The same job on this thread, for when the worker is gone. */
  inPlace: () => unknown;
  resolve: (v: never) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; jwe: FlattenedJwe } | { id: number; signature: Uint8Array } | { id: number; error: { code: string; message: string } };

function errorFromWorker(e: { code: string; message: string }): Error {
  if (e.code === 'ERR_MALFORMED_INPUT') return new MalformedInput(e.message, { where: 'jwk' });
  if (e.code === 'ERR_UNSUPPORTED') return new Unsupported(e.message);
  return new Unavailable(`crypto worker failed: ${e.message}`);
}

/** Whether to offload in the next sampling period, given the last one's loop utilisation (hysteresis). */
export function offloadNext(offloading: boolean, utilization: number, busyAbove: number, idleBelow: number): boolean {
  return offloading ? utilization >= idleBelow : utilization >= busyAbove;
}

/** One worker thread, started on first use, used while the event loop is busy. */
export function createCryptoThread(options: CryptoThreadOptions = {}): CryptoThread {
  const busyAbove = options.busyAbove ?? 0.8;
  const idleBelow = Math.min(options.idleBelow ?? 0.4, busyAbove);
  const spawn = options.spawn ?? (() => startModuleWorker(new URL('./crypto-thread-worker.ts', import.meta.url)));
  const pending = new Map<number, Pending>();
  const keyIds = new WeakMap<Es256Key, number>();
  let nextId = 0;
  let nextKeyId = 0;
  let worker: Worker | undefined;
  let failed = false;
  let offloaded = 0;

  let native = options.native === false ? undefined : (options.native ?? (options.spawn ? undefined : p256NativeThread()));
  const nativeKeys = new WeakMap<Es256Key, P256SigningKey>();
  /** The native thread's handle for `key`, imported once. */
  const nativeKey = (n: P256NativeThread, key: Es256Key) => {
    let handle = nativeKeys.get(key);
    if (handle === undefined) nativeKeys.set(key, (handle = n.signingKey(key.pkcs8)));
    return handle;
  };
  const done = <T>(v: T): T => {
    offloaded++;
    return v;
  };
  /** A job on the native thread; in place (and never native again) when the thread cannot take it. */
  const onNative = <T>(submit: (n: P256NativeThread) => Promise<T>, inPlace: () => T): Promise<T> => {
    try {
      return submit(native!).then(done);
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) return Promise.reject(err);
      native = undefined;
      return here(inPlace);
    }
  };

  let busy = busyAbove <= 0;
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const sampler =
    busyAbove > 0
      ? setInterval(() => {
          const now = performance.eventLoopUtilization();
          busy = offloadNext(busy, performance.eventLoopUtilization(now, last).utilization, busyAbove, idleBelow);
          last = now;
        }, options.sampleMs ?? 100).unref()
      : undefined;

  const runInPlace = (p: Pending) => {
    try {
      p.resolve(p.inPlace() as never);
    } catch (err) {
      p.reject(err as Error);
    }
  };

  // The worker is gone: finish what it had in place, and work in place from now on.
  const fail = () => {
    if (failed) return;
    failed = true;
    worker = undefined;
    const left = [...pending.values()];
    pending.clear();
    left.forEach(runInPlace);
  };

  const start = (): Worker | undefined => {
    if (worker || failed) return worker;
    try {
      const w = spawn();
      w.on('message', (replies: Reply[]) => {
        for (const m of replies) {
          const p = pending.get(m.id);
          if (!p) continue;
          pending.delete(m.id);
          if ('error' in m) {
            p.reject(errorFromWorker(m.error));
          } else {
            offloaded++;
            p.resolve(('jwe' in m ? m.jwe : m.signature) as never);
          }
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

  /** Key ids whose PKCS#8 bytes the worker already has. */
  const keysSent = new Set<number>();

  // Jobs queued during one run of microtasks go to the worker in one message (and come back in one):
  // under load several handshakes reach their crypto step together, and each message costs a copy
  // and a wake-up of the other thread.
  let batch: Array<Record<string, unknown>> = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    const jobs = batch;
    batch = [];
    // A worker that failed meanwhile has already run these jobs' pending entries in place.
    if (worker && jobs.length > 0) worker.postMessage(jobs);
  };

  /** Queue `message` (plus an id) for the worker, or run `inPlace` when there is no worker. */
  const offload = <T>(message: Record<string, unknown>, inPlace: () => T): Promise<T> => {
    const w = start();
    if (!w) return here(inPlace);
    return new Promise<T>((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { inPlace, resolve: resolve as (v: never) => void, reject });
      // Referenced while a job is outstanding, so its reply is not lost to an exiting process.
      if (pending.size === 1) w.ref();
      message.id = id;
      batch.push(message);
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flush);
      }
    });
  };

  return {
    seal(plaintext, recipient, prepared) {
      if (prepared && native) {
        try {
          if (recipient.kty === 'EC' && recipient.crv === 'P-256' && bytesEqual(ecPointOf(recipient), prepared.point)) {
            return Promise.resolve(native.sealPrepared(prepared.handle, plaintext));
          }
          native.discardPrepared(prepared.handle); // for another key: it will not be used
        } catch {
          // Used already, or a key that does not decode: the ordinary path below (with its own errors).
        }
      }
      const inPlace = () => encryptJwe(plaintext, recipient);
      // An idle loop, RSA recipients and unsupported keys (same errors as in place): on this thread.
      if (!busy || recipient.kty !== 'EC') return here(inPlace);
      let point: Uint8Array | undefined;
      try {
        jweAlgFor(recipient);
        // The point only for the native thread (P-256); the worker decodes its own.
        if (native && recipient.crv === 'P-256') point = ecPointOf(recipient);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      if (point) {
        const p = point;
        return onNative(
          (n) =>
            n.sealJweAsync(p, plaintext).catch((cause: unknown) => {
              throw cause instanceof RangeError ? pointNotOnCurve(cause) : cause;
            }),
          inPlace,
        );
      }
      return offload({ op: 'seal', plaintext: own(plaintext), recipient }, inPlace);
    },
    signEs256(input, key) {
      const inPlace = () => signHere(input, key);
      if (!busy) return here(inPlace);
      if (native) {
        return onNative((n) => n.signEs256Async(nativeKey(n, key), input), inPlace);
      }
      let keyId = keyIds.get(key);
      if (keyId === undefined) keyIds.set(key, (keyId = ++nextKeyId));
      const job: Record<string, unknown> = { op: 'sign', input: own(input), keyId };
      if (!keysSent.has(keyId)) {
        keysSent.add(keyId);
        job.pkcs8 = key.pkcs8;
      }
      return offload(job, inPlace);
    },
    signJws(input, key, releaseTo) {
      if (native && busy) {
        // The point only here, where a release is prepared: in place there is none to prepare.
        const point = releaseTo ? p256PointOf(releaseTo) : undefined;
        return onNative(
          (n): Promise<SignedJws> =>
            n.signJwsAsync(nativeKey(n, key), input, point).then(({ token, digest, release }) =>
              release === undefined ? { token, digest } : { token, digest, release: { point: point!, handle: release } },
            ),
          (): SignedJws => ({ token: compactJws(input, signHere(input, key)) }),
        );
      }
      return this.signEs256(input, key).then((sig) => ({ token: compactJws(input, sig) }));
    },
    discard(prepared) {
      try {
        native?.discardPrepared(prepared.handle);
      } catch {
        // Not ours to free (a handle from another addon instance cannot occur here): the finalizer will.
      }
    },
    get offloaded() {
      return offloaded;
    },
    prestart() {
      // The native thread starts with its first job in well under a millisecond; a worker takes
      // hundreds of milliseconds to load its modules.
      if (!native) start();
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
      left.forEach(runInPlace);
    },
  };
}
