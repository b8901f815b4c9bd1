/**
 * Envelope sealed-secret cryptography (reference/guest-components.md §3.4): the data is
 * AES-256-GCM (12-byte IV, ciphertext ‖ 16-byte tag, no AAD) or AES-256-CTR (16-byte IV,
 * 128-bit big-endian counter) under a 32-byte data key (DEK). Our `kbs` envelope provider wraps
 * the DEK with a 32-byte KEK held as a KBS resource named by `key_id`, using AES key wrap
 * (RFC 3394, `id-aes256-wrap`); upstream's cloud KMS providers do that step remotely instead.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MalformedInput, VerificationFailed, fromBase64, toBase64 } from '../core/index.js';
import { SEALED_SECRET_VERSION, type EnvelopeSecret, type EnvelopeWrapType } from './sealed-secret.js';

const GCM_IV = 12;
const GCM_TAG = 16;
const CTR_IV = 16;
const KEY_BYTES = 32;
const AESKW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

function checkKey(key: Uint8Array, what: string): void {
  if (key.length !== KEY_BYTES) throw new MalformedInput(`${what} must be 32 bytes, got ${key.length}`, { where: what });
}

/** Encrypt `plaintext` with `dek`; returns raw ciphertext (GCM: ‖ tag) and the IV. */
export function encryptEnvelopeData(plaintext: Uint8Array, dek: Uint8Array, wrapType: EnvelopeWrapType): { data: Uint8Array; iv: Uint8Array } {
  checkKey(dek, 'data key');
  if (wrapType === 'A256GCM') {
    const iv = new Uint8Array(randomBytes(GCM_IV));
    const c = createCipheriv('aes-256-gcm', dek, iv);
    const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return { data: new Uint8Array(ct), iv };
  }
  const iv = new Uint8Array(randomBytes(CTR_IV));
  const c = createCipheriv('aes-256-ctr', dek, iv);
  return { data: new Uint8Array(Buffer.concat([c.update(plaintext), c.final()])), iv };
}

/**
 * Decrypt envelope data. GCM failures (tampering, wrong key) throw
 * `VerificationFailed` `sealed_secret.envelope.tag`; CTR has no integrity of its own (the JWS covers it).
 */
export function decryptEnvelopeData(data: Uint8Array, iv: Uint8Array, dek: Uint8Array, wrapType: EnvelopeWrapType): Uint8Array {
  checkKey(dek, 'data key');
  if (wrapType === 'A256GCM') {
    if (iv.length !== GCM_IV) throw new MalformedInput('A256GCM iv must be 12 bytes', { where: 'secret.iv' });
    if (data.length < GCM_TAG) throw new MalformedInput('A256GCM data shorter than its tag', { where: 'secret.encrypted_data' });
    try {
      const d = createDecipheriv('aes-256-gcm', dek, iv);
      d.setAuthTag(data.subarray(data.length - GCM_TAG));
      return new Uint8Array(Buffer.concat([d.update(data.subarray(0, data.length - GCM_TAG)), d.final()]));
    } catch (cause) {
      throw new VerificationFailed('sealed_secret.envelope.tag', 'envelope data failed authentication (wrong key or tampered)', { cause });
    }
  }
  if (iv.length !== CTR_IV) throw new MalformedInput('A256CTR iv must be 16 bytes', { where: 'secret.iv' });
  const d = createDecipheriv('aes-256-ctr', dek, iv);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}

/** RFC 3394 AES-256 key wrap of a 32-byte DEK under a 32-byte KEK (40 bytes out). */
export function wrapDataKey(kek: Uint8Array, dek: Uint8Array): Uint8Array {
  checkKey(kek, 'key-encryption key');
  checkKey(dek, 'data key');
  const c = createCipheriv('id-aes256-wrap', kek, AESKW_IV);
  return new Uint8Array(Buffer.concat([c.update(dek), c.final()]));
}

/** Unwrap a DEK; a wrong KEK or a tampered blob throws `VerificationFailed` `sealed_secret.envelope.key_unwrap`. */
export function unwrapDataKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  checkKey(kek, 'key-encryption key');
  if (wrapped.length !== KEY_BYTES + 8) throw new MalformedInput('wrapped data key must be 40 bytes', { where: 'secret.encrypted_key' });
  try {
    const d = createDecipheriv('id-aes256-wrap', kek, AESKW_IV);
    return new Uint8Array(Buffer.concat([d.update(wrapped), d.final()]));
  } catch (cause) {
    throw new VerificationFailed('sealed_secret.envelope.key_unwrap', 'data key unwrap failed (wrong key-encryption key or tampered)', { cause });
  }
}

/** Build a `kbs`-provider envelope: fresh DEK wrapped by `kek` (the KBS resource at `kekUri`). */
export function createKbsEnvelope(plaintext: Uint8Array, kekUri: string, kek: Uint8Array, wrapType: EnvelopeWrapType = 'A256GCM'): EnvelopeSecret {
  const dek = new Uint8Array(randomBytes(KEY_BYTES));
  const { data, iv } = encryptEnvelopeData(plaintext, dek, wrapType);
  return {
    version: SEALED_SECRET_VERSION,
    type: 'envelope',
    key_id: kekUri,
    encrypted_key: toBase64(wrapDataKey(kek, dek)),
    encrypted_data: toBase64(data),
    wrap_type: wrapType,
    iv: toBase64(iv),
    provider: 'kbs',
    provider_settings: {},
    annotations: {},
  };
}

/** Open an envelope once its DEK is known (decodes the base64 members). */
export function openEnvelope(env: EnvelopeSecret, dek: Uint8Array): Uint8Array {
  const data = fromBase64(env.encrypted_data, 'secret.encrypted_data');
  const iv = fromBase64(env.iv, 'secret.iv');
  return decryptEnvelopeData(data, iv, dek, env.wrap_type);
}
