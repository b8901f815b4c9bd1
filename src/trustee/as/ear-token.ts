/**
 * EAR attestation-token signing (reference/trustee.md §1.11): JWS compact, ES256 on P-256, with the
 * verification key in the header `jwk` and the signer certificate chain in `jwk.x5c` when configured.
 * Without a configured key an ephemeral key is generated per process, as upstream does. Signed tokens
 * can be remembered in an `IssuedTokens` set so that the token verifier recognises them.
 * @module
 */
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { ConfigError, publicJwkOf, toBase64, toBase64Url, utf8, type EcPublicJwk, type PublicJwk } from '../../core/index.js';
import { compactJws, es256Key, type CryptoThread } from '../crypto-thread.js';
import type { IssuedTokens } from './issued-tokens.js';

export interface SignOptions {
  /** The TEE key the release after this token will be encrypted to. */
  releaseTo?: PublicJwk;
}

export interface EarSignerJwk {
  kty: 'EC';
  crv: 'P-256';
  alg: 'ES256';
  x: string;
  y: string;
  x5c?: string[];
}

export interface EarSigner {
  readonly jwk: EarSignerJwk;
  readonly publicKey: KeyObject;
  /**
   * Sign a JWT payload; resolves the compact JWS. With `releaseTo` (the TEE key, when P-256) and the
   * native crypto thread signing, a release to that point is prepared in the
   * same job and kept with the token in the `IssuedTokens` set (see `IssuedTokens.takeRelease`).
   */
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
}


/** Split a PEM bundle into certificates (leaf first, as written). */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** Build the signer from a P-256 PKCS#8/SEC1 PEM key and an optional PEM chain (leaf first). */
export function createEarSigner(
  options: { keyPem?: string; certChainPem?: string; issued?: IssuedTokens; /** Signs on its worker thread while the loop is busy. */ thread?: CryptoThread } = {},
): EarSigner {
  let privateKey: KeyObject;
  if (options.keyPem) {
    try {
      privateKey = createPrivateKey(options.keyPem);
    } catch (cause) {
      throw new ConfigError('attestation token signer key is not a PEM private key', { key: 'signer.key_path', cause });
    }
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new ConfigError('attestation token signer key must be EC P-256 (ES256)', { key: 'signer.key_path' });
    }
  } else {
    privateKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  }
  const publicKey = createPublicKey(privateKey);
  const ec = publicJwkOf(publicKey) as EcPublicJwk;
  const jwk: EarSignerJwk = { kty: 'EC', crv: 'P-256', alg: 'ES256', x: ec.x, y: ec.y };
  if (options.certChainPem) {
    const certs = parsePemCertificates(options.certChainPem);
    if (certs.length === 0) throw new ConfigError('signer certificate file holds no certificate', { key: 'signer.cert_path' });
    if (!certs[0]!.publicKey.equals(publicKey)) throw new ConfigError('signer certificate does not match the signing key', { key: 'signer.cert_path' });
    jwk.x5c = certs.map((c) => toBase64(new Uint8Array(c.raw)));
  }
  const headerB64 = toBase64Url(utf8(JSON.stringify({ alg: 'ES256', typ: 'JWT', jwk })));
  const key = options.thread ? es256Key(privateKey) : undefined;
  return {
    jwk,
    publicKey,
    async sign(claims, signOptions) {
      // The signing input as bytes (header, dot, payload), written once; the token is then one flat
      // string made from those bytes and the signature, rather than nested concatenations that keep
      // copies of the ~2 KB text alive for as long as a session holds the token.
      const payload = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
      const bytes = Buffer.allocUnsafe(headerB64.length + 1 + payload.length);
      bytes.write(headerB64, 0, 'latin1');
      bytes[headerB64.length] = 0x2e; // '.'
      bytes.write(payload, headerB64.length + 1, 'latin1');
      // Not on the libuv thread pool: a P-256 signature is ~20 µs of CPU, and the pool's wake-ups cost
      // more than that. The crypto thread, when given, takes it only while the event loop is busy; its
      // native form returns the token as an external string, whose ~1.7 KB stay out of V8's heap for
      // as long as the session keeps it.
      // A prepared release is only worth its ECDH when the token is remembered for the resource request.
      const releaseTo = options.issued ? signOptions?.releaseTo : undefined;
      const { token, digest, release } = key
        ? await options.thread!.signJws(bytes, key, releaseTo)
        : { token: compactJws(bytes, new Uint8Array(sign('sha256', bytes, { key: privateKey, dsaEncoding: 'ieee-p1363' }))), digest: undefined, release: undefined };
      if (options.issued && typeof claims.exp === 'number') options.issued.add(token, claims.exp, claims, digest, release);
      return token;
    },
  };
}

/** The JWKS a standalone AS publishes at `/.well-known/jwks.json`. */
export function signerJwks(signer: EarSigner): { keys: EarSignerJwk[] } {
  return { keys: [signer.jwk] };
}
