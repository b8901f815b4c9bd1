/**
 * The optional native P-256 key agreement (`native/p256_ecdh.c`, built by `npm install`): one scalar
 * multiplication per derivation where node:crypto's ECDH does two or three (it re-validates keys on
 * every call), and the whole release JWE in one call. When it is absent (no C toolchain at install
 * time), incomplete (an older build) or switched off with `disableNativeP256()` (Trustee does so for
 * `COCO_NATIVE_P256=0`), callers use node:crypto instead; both give the same JWE.
 * @module
 */
import { createRequire } from 'node:module';

export interface P256Native {
  /**
   * A fresh ephemeral key agreed with `recipient` (65 bytes, `04 ‖ x ‖ y`): the ephemeral public point
   * (65 bytes, uncompressed) and the shared x-coordinate `z` (32 bytes). Throws RangeError for a point
   * that is not on P-256.
   */
  ecdhEphemeral(recipient: Uint8Array): { epk: Uint8Array; z: Uint8Array };
  /**
   * The recipient's side: the shared x-coordinate (32 bytes) of private scalar `scalar` (32 bytes,
   * 1..n-1) and the sender's point `peer` (65 bytes, uncompressed). Throws RangeError for a point off
   * the curve or a scalar out of range.
   */
  ecdh(scalar: Uint8Array, peer: Uint8Array): Uint8Array;
  /**
   * The whole ECDH-ES+A256KW / A256GCM flattened JWE of `plaintext` to `recipient` (65 bytes,
   * uncompressed), as `encryptJwe` builds it: fresh ephemeral key, Concat KDF, random CEK wrapped with
   * AES-256 key wrap, AES-256-GCM with a random IV and the protected header as AAD. Throws RangeError
   * for a point that is not on P-256.
   */
  sealJwe(recipient: Uint8Array, plaintext: Uint8Array): { protected: string; encrypted_key: string; iv: string; ciphertext: string; tag: string };
}

/**
 * The built addon, when it has every function above: a build left from an older checkout (before
 * `npm install` ran again) is ignored rather than failing on the first release.
 */
export function loadP256Native(path = '../../build/Release/p256_ecdh.node'): P256Native | undefined {
  let mod: Partial<Record<keyof P256Native, unknown>>;
  try {
    mod = createRequire(import.meta.url)(path) as typeof mod;
  } catch {
    return undefined;
  }
  const complete = typeof mod.ecdhEphemeral === 'function' && typeof mod.ecdh === 'function' && typeof mod.sealJwe === 'function';
  return complete ? (mod as P256Native) : undefined;
}

/**
 * The addon's crypto thread (native/crypto_thread.c): the same JWE and ES256 signatures computed on a
 * native thread of its own, settled as promises on the event loop.
 */
export interface P256NativeThread {
  /** `sealJwe` on the crypto thread; rejects with a RangeError for a point that is not on P-256. */
  sealJweAsync(recipient: Uint8Array, plaintext: Uint8Array): Promise<ReturnType<P256Native['sealJwe']>>;
  /** A handle for a P-256 private key given as PKCS#8 DER (RangeError for anything else). */
  signingKey(pkcs8: Uint8Array): P256SigningKey;
  /** ES256 signature (64 bytes, r ‖ s) of `input` on the crypto thread. */
  signEs256Async(key: P256SigningKey, input: Uint8Array): Promise<Uint8Array>;
  /**
   * The compact JWS `input.signature` (ES256, base64url) of `input`, the ASCII `header.payload`, on
   * the crypto thread, with the base64url of the JWS's SHA-256. The token's bytes live outside V8's
   * heap (an external string), so a token that a session keeps for minutes is not promoted and
   * compacted by the collector.
   */
  /**
   * With `releaseTo` (a recipient point, 65 bytes, uncompressed) also a release to that
   * point prepared in the same job: the ephemeral key, agreement, KEK and a wrapped random CEK, which
   * stay in native memory. `sealPrepared` then makes the JWE of a plaintext with one AES-256-GCM, once.
   * A point that is not on P-256 just gives no release (the token is still signed).
   */
  signJwsAsync(key: P256SigningKey, input: Uint8Array, releaseTo?: Uint8Array): Promise<{ token: string; digest: string; release?: P256PreparedRelease }>;
  /**
   * The flattened JWE of `plaintext` with a release prepared by `signJwsAsync`, on this thread (an
   * AES-256-GCM under a fresh IV). Each release seals once: its CEK is cleared by the first seal, and
   * a second one throws. TypeError for anything that is not such a release.
   */
  sealPrepared(release: P256PreparedRelease, plaintext: Uint8Array): ReturnType<P256Native['sealJwe']>;
  /**
   * Give an unused prepared release up now: its cipher context is freed at once rather than when the
   * collector reaches the handle. A later `sealPrepared` with it throws. TypeError for anything else.
   */
  discardPrepared(release: P256PreparedRelease): void;
}

/** An opaque native prepared release from `signJwsAsync` (its CEK never enters JavaScript). */
export type P256PreparedRelease = { readonly __p256PreparedRelease: unique symbol };

/** An opaque native key handle from `signingKey`. */
export type P256SigningKey = { readonly __p256SigningKey: unique symbol };

let addon: P256Native | undefined = loadP256Native();

/** The crypto thread of the addon, when it is built with one and not switched off in this thread. */
export function p256NativeThread(): P256NativeThread | undefined {
  const mod = addon as Partial<Record<keyof P256NativeThread, unknown>> | undefined;
  const complete = mod !== undefined && typeof mod.sealJweAsync === 'function' && typeof mod.signingKey === 'function' && typeof mod.signEs256Async === 'function' &&
    typeof mod.signJwsAsync === 'function' && typeof mod.sealPrepared === 'function' && typeof mod.discardPrepared === 'function';
  return complete ? (mod as unknown as P256NativeThread) : undefined;
}

/** The addon, or undefined when it is not built or was switched off in this thread. */
export function p256Native(): P256Native | undefined {
  return addon;
}

/** Use node:crypto for P-256 agreement in this thread from now on (comparisons, fallback tests). */
export function disableNativeP256(): void {
  addon = undefined;
}
