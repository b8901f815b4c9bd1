/**
 * KBS resource JWE (reference/trustee.md §1.6): flattened JSON serialization, `enc` A256GCM,
 * key management ECDH-ES+A256KW (P-256/P-384/P-521) or RSA-OAEP-256. Written on node:crypto
 * directly so that no EC key is ever exported as JWK (Node 20 deadlock, reference/dependencies.md §0);
 * EC JWKs are built from the SPKI DER point instead. RSA1_5 is refused.
 * @module
 */
import {
  KeyObject,
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
} from 'node:crypto';
import { MalformedInput, Unsupported, VerificationFailed } from './errors.js';
import { fromBase64Url, toBase64Url, utf8 } from './encoding.js';
import { concatBytes } from './bytes.js';
import { p256Native } from './p256-native.js';
import { secureRandomBytes } from './random.js';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';
export interface EcPublicJwk {
  kty: 'EC';
  crv: EcCurve;
  x: string;
  y: string;
  alg?: string;
}
export interface RsaPublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  alg?: string;
}
export type PublicJwk = EcPublicJwk | RsaPublicJwk;

export interface FlattenedJwe {
  protected: string;
  encrypted_key: string;
  iv: string;
  ciphertext: string;
  tag: string;
}

const CURVE_BYTES: Record<EcCurve, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };
const NODE_CURVE: Record<EcCurve, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

/** `04 ‖ x ‖ y` of an EC public JWK on `crv`, with both coordinates exactly the curve's size. */
function uncompressedPoint(jwk: EcPublicJwk, crv: EcCurve): Uint8Array {
  const n = CURVE_BYTES[crv];
  const x = fromBase64Url(jwk.x, 'jwk.x');
  const y = fromBase64Url(jwk.y, 'jwk.y');
  if (x.length !== n || y.length !== n) throw new MalformedInput(`EC ${crv} coordinates must be ${n} bytes`, { where: 'jwk' });
  // From Node's buffer pool: a release computes this point twice per handshake, and two ArrayBuffers of
  // their own each time (the `04` and the result) cost more than the copying.
  const out = Buffer.allocUnsafe(1 + 2 * n);
  out[0] = 4;
  out.set(x, 1);
  out.set(y, 1 + n);
  return out;
}

/** The error for an EC public key whose point is not on its curve (`cause`: what refused it). */
export function pointNotOnCurve(cause: unknown): MalformedInput {
  return new MalformedInput('EC public key is not a point on the curve', { where: 'jwk', cause });
}

/** `04 ‖ x ‖ y` of an EC public JWK on a supported curve (MalformedInput / Unsupported otherwise). */
export function ecPointOf(jwk: EcPublicJwk): Uint8Array {
  if (!CURVE_BYTES[jwk.crv]) throw new Unsupported(`unsupported curve ${String(jwk.crv)}`);
  return uncompressedPoint(jwk, jwk.crv);
}

function curveOfSize(n: number): EcCurve | undefined {
  return (Object.keys(CURVE_BYTES) as EcCurve[]).find((c) => CURVE_BYTES[c] === n);
}

/**
 * Public JWK of an EC or RSA key, built from SPKI DER (never `export({format:'jwk'})` for EC).
 * For EC the uncompressed point `04 ‖ x ‖ y` ends the SPKI.
 */
export function publicJwkOf(key: KeyObject): PublicJwk {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType === 'ec') {
    const der = new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
    for (const crv of Object.keys(CURVE_BYTES) as EcCurve[]) {
      const n = CURVE_BYTES[crv];
      const start = der.length - (1 + 2 * n);
      if (start > 0 && der[start] === 0x04 && der[start - 1] === 0x00 && der[start - 2] === 1 + 2 * n + 1) {
        const curveName = pub.asymmetricKeyDetails?.namedCurve;
        if (curveName && curveName !== NODE_CURVE[crv]) continue;
        return { kty: 'EC', crv, x: toBase64Url(der.subarray(start + 1, start + 1 + n)), y: toBase64Url(der.subarray(start + 1 + n)) };
      }
    }
    throw new Unsupported('unsupported EC public key encoding');
  }
  if (pub.asymmetricKeyType === 'rsa') {
    const jwk = pub.export({ format: 'jwk' }) as { n: string; e: string }; // RSA export does not take the EC path
    return { kty: 'RSA', n: jwk.n, e: jwk.e };
  }
  throw new Unsupported(`unsupported key type ${pub.asymmetricKeyType}`);
}

/** KeyObject of a public JWK (EC P-256/384/521 with exact coordinate lengths, or RSA). */
export function publicKeyFromJwk(jwk: PublicJwk): KeyObject {
  if (jwk.kty === 'EC') {
    const n = CURVE_BYTES[jwk.crv];
    if (!n) throw new Unsupported(`unsupported curve ${String(jwk.crv)}`);
    const x = fromBase64Url(jwk.x, 'jwk.x');
    const y = fromBase64Url(jwk.y, 'jwk.y');
    if (x.length !== n || y.length !== n) throw new MalformedInput(`EC ${jwk.crv} coordinates must be ${n} bytes`, { where: 'jwk' });
    try {
      return createPublicKey({ key: { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
    } catch (cause) {
      throw pointNotOnCurve(cause);
    }
  }
  if (jwk.kty === 'RSA') {
    try {
      return createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e }, format: 'jwk' });
    } catch (cause) {
      throw new MalformedInput('invalid RSA public key', { where: 'jwk', cause });
    }
  }
  throw new Unsupported(`unsupported key type ${(jwk as { kty: string }).kty}`);
}

const u32 = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

// RFC 7518 §4.6.2: Concat KDF, one SHA-256 round for a 256-bit key, empty apu/apv.
function concatKdf(z: Uint8Array, alg: string): Uint8Array {
  const algBytes = utf8(alg);
  const input = concatBytes(u32(1), z, u32(algBytes.length), algBytes, u32(0), u32(0), u32(256));
  return new Uint8Array(createHash('sha256').update(input).digest());
}

const AESKW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

function aesKeyWrap(kek: Uint8Array, cek: Uint8Array): Uint8Array {
  const c = createCipheriv('id-aes256-wrap', kek, AESKW_IV);
  return new Uint8Array(Buffer.concat([c.update(cek), c.final()]));
}

function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  try {
    const d = createDecipheriv('id-aes256-wrap', kek, AESKW_IV);
    return new Uint8Array(Buffer.concat([d.update(wrapped), d.final()]));
  } catch (cause) {
    throw new VerificationFailed('jwe.key_unwrap', 'JWE key unwrap failed (wrong key?)', { cause });
  }
}

/** The key-management `alg` KBS uses for a recipient key; throws `Unsupported` for RSA1_5 and others. */
export function jweAlgFor(jwk: PublicJwk): 'ECDH-ES+A256KW' | 'RSA-OAEP-256' {
  if (jwk.kty === 'EC') {
    if (jwk.alg !== undefined && jwk.alg !== '' && jwk.alg !== 'ECDH-ES+A256KW') throw new Unsupported(`unsupported EC key algorithm ${jwk.alg}`);
    return 'ECDH-ES+A256KW';
  }
  if (jwk.alg === 'RSA1_5') throw new Unsupported('RSA1_5 (PKCS#1 v1.5) key wrapping is refused as insecure; use RSA-OAEP-256 or an EC key');
  if (jwk.alg !== undefined && jwk.alg !== '' && jwk.alg !== 'RSA-OAEP-256') throw new Unsupported(`unsupported RSA key algorithm ${jwk.alg}`);
  return 'RSA-OAEP-256';
}

/** P-256 private scalars of the keys seen so far (the guest keeps its TEE key for its whole life). */
const p256Scalars = new WeakMap<KeyObject, Uint8Array>();

/**
 * The 32-byte scalar of a P-256 private key, from its SEC1 DER (`ECPrivateKey`: SEQUENCE { INTEGER 1,
 * OCTET STRING d, ... }), never through a JWK export (Node 20 deadlock).
 */
function p256Scalar(key: KeyObject): Uint8Array | undefined {
  let d = p256Scalars.get(key);
  if (d) return d;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== NODE_CURVE['P-256']) return undefined;
  const der = key.export({ format: 'der', type: 'sec1' });
  const at = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2; // past the SEQUENCE header
  if (der[0] !== 0x30 || der[at] !== 0x02 || der[at + 1] !== 0x01 || der[at + 2] !== 0x01 || der[at + 3] !== 0x04 || der[at + 4] !== 32) return undefined;
  d = new Uint8Array(der.subarray(at + 5, at + 5 + 32));
  p256Scalars.set(key, d);
  return d;
}

/** The recipient's ECDH shared secret with the sender's ephemeral key `epk`. */
function recipientAgreement(privateKey: KeyObject, epk: EcPublicJwk): Uint8Array {
  const native = epk.crv === 'P-256' ? p256Native() : undefined;
  const d = native ? p256Scalar(privateKey) : undefined;
  if (native && d) {
    const point = uncompressedPoint(epk, 'P-256');
    try {
      return native.ecdh(d, point);
    } catch (cause) {
      throw pointNotOnCurve(cause);
    }
  }
  return new Uint8Array(diffieHellman({ privateKey, publicKey: publicKeyFromJwk(epk) }));
}

/** Encrypt `plaintext` to `recipient` as KBS does: flattened JWE, A256GCM, AAD = ASCII(protected). */
export function encryptJwe(plaintext: Uint8Array, recipient: PublicJwk): FlattenedJwe {
  const alg = jweAlgFor(recipient);
  let cek: Uint8Array;
  let header: Record<string, unknown>;
  let encryptedKey: Uint8Array;
  if (alg === 'ECDH-ES+A256KW') {
    // Raw-point ECDH (no KeyObject import/export): the hot path of every resource release.
    const { crv } = recipient as EcPublicJwk;
    const n = CURVE_BYTES[crv];
    if (!n) throw new Unsupported(`unsupported curve ${String(crv)}`);
    const point = uncompressedPoint(recipient as EcPublicJwk, crv);
    const native = crv === 'P-256' ? p256Native() : undefined;
    if (native) {
      // The same JWE in one native call: agreement, KDF, key wrap and GCM (native/p256_ecdh.c).
      try {
        return native.sealJwe(point, plaintext);
      } catch (cause) {
        if (cause instanceof RangeError) throw pointNotOnCurve(cause);
        throw cause;
      }
    }
    cek = secureRandomBytes(32);
    // node:crypto for P-384, P-521, and P-256 without the addon.
    const eph = createECDH(NODE_CURVE[crv]);
    const ephPoint = eph.generateKeys();
    let z: Uint8Array;
    try {
      z = eph.computeSecret(point);
    } catch (cause) {
      throw pointNotOnCurve(cause);
    }
    encryptedKey = aesKeyWrap(concatKdf(z, alg), cek);
    const epk = { crv, kty: 'EC', x: toBase64Url(ephPoint.subarray(1, 1 + n)), y: toBase64Url(ephPoint.subarray(1 + n)) };
    header = { alg, enc: 'A256GCM', epk };
  } else {
    const recipientKey = publicKeyFromJwk(recipient);
    cek = secureRandomBytes(32);
    encryptedKey = new Uint8Array(publicEncrypt({ key: recipientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek));
    header = { alg, enc: 'A256GCM' };
  }
  const protectedB64 = toBase64Url(utf8(JSON.stringify(header)));
  const iv = secureRandomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(protectedB64, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    protected: protectedB64,
    encrypted_key: toBase64Url(encryptedKey),
    iv: toBase64Url(iv),
    ciphertext: toBase64Url(ciphertext),
    tag: toBase64Url(cipher.getAuthTag()),
  };
}

/** Decrypt a KBS flattened JWE with the TEE private key. Throws `VerificationFailed` (`jwe.*`) on tampering or a wrong key. */
export function decryptJwe(jwe: FlattenedJwe, privateKey: KeyObject): Uint8Array {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(fromBase64Url(jwe.protected, 'jwe.protected')).toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof MalformedInput) throw cause;
    throw new MalformedInput('jwe.protected: not JSON', { where: 'jwe.protected', cause });
  }
  if (header.enc !== 'A256GCM') throw new Unsupported(`unsupported JWE enc ${String(header.enc)}`);
  const encryptedKey = fromBase64Url(jwe.encrypted_key, 'jwe.encrypted_key');
  let cek: Uint8Array;
  if (header.alg === 'ECDH-ES+A256KW') {
    const epk = header.epk as EcPublicJwk | undefined;
    if (!epk || epk.kty !== 'EC') throw new MalformedInput('jwe.protected.epk: missing EC key', { where: 'jwe.protected.epk' });
    const z = recipientAgreement(privateKey, epk);
    cek = aesKeyUnwrap(concatKdf(z, 'ECDH-ES+A256KW'), encryptedKey);
  } else if (header.alg === 'RSA-OAEP-256') {
    try {
      cek = new Uint8Array(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, encryptedKey));
    } catch (cause) {
      throw new VerificationFailed('jwe.key_unwrap', 'JWE RSA-OAEP-256 key decryption failed (wrong key?)', { cause });
    }
  } else {
    throw new Unsupported(`unsupported JWE alg ${String(header.alg)}`);
  }
  if (cek.length !== 32) throw new VerificationFailed('jwe.cek', 'content key is not 256 bits');
  const iv = fromBase64Url(jwe.iv, 'jwe.iv');
  const tag = fromBase64Url(jwe.tag, 'jwe.tag');
  if (iv.length !== 12 || tag.length !== 16) throw new MalformedInput('jwe: iv must be 12 bytes and tag 16 bytes', { where: 'jwe' });
  try {
    const d = createDecipheriv('aes-256-gcm', cek, iv);
    d.setAAD(Buffer.from(jwe.protected, 'ascii'));
    d.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([d.update(fromBase64Url(jwe.ciphertext, 'jwe.ciphertext')), d.final()]));
  } catch (cause) {
    throw new VerificationFailed('jwe.tag', 'JWE authentication failed (tampered ciphertext or wrong key)', { cause });
  }
}

/** Generate a TEE key pair as the guest does: EC P-256 (default), P-384, P-521, or RSA-2048 for RSA-OAEP-256. */
export function generateTeeKeyPair(kind: EcCurve | 'RSA' = 'P-256'): { privateKey: KeyObject; jwk: PublicJwk & { alg: string } } {
  if (kind === 'RSA') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { privateKey, jwk: { ...(publicJwkOf(publicKey) as RsaPublicJwk), alg: 'RSA-OAEP-256' } };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: NODE_CURVE[kind] });
  return { privateKey, jwk: { ...(publicJwkOf(publicKey) as EcPublicJwk), alg: 'ECDH-ES+A256KW' } };
}

/** Import a PKCS#8 PEM private key (for tests and tools). */
export function privateKeyFromPem(pem: string): KeyObject {
  return createPrivateKey(pem);
}

export { curveOfSize };
