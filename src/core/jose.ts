/**
 * The one file that imports `jose` (STYLE habit 12): JWT verification against PEM public keys or a
 * JWK set, and JWT signing with a PEM private key. Keys are imported as WebCrypto keys from PEM
 * (SPKI/PKCS#8) so that no EC `KeyObject` is ever exported as JWK (Node 20 deadlock). Time is an
 * argument. Verification failures throw `VerificationFailed` with a `jwt.*` check id.
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, createLocalJWKSet, errors, importPKCS8, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { MalformedInput, VerificationFailed } from './errors.js';

/** The JWS algorithms a key of this type may verify or sign (RFC 7518 §3, RFC 8037). */
function algorithmsFor(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      break;
    }
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    default:
  }
  throw new MalformedInput(`unsupported JWT key type ${key.asymmetricKeyType ?? 'unknown'}`, { where: 'key' });
}

/** Resolves the verification key for a JWT header; build one with `jwtKeyFromPem` or `jwtKeyFromJwks`. */
export interface JwtKey {
  readonly algorithms: readonly string[];
  readonly resolve: JWTVerifyGetKey;
}

/** A verification key from an SPKI PEM public key (Ed25519, EC P-256/384/521 or RSA). */
export function jwtKeyFromPem(pem: string): JwtKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw new MalformedInput(`not a PEM public key: ${(cause as Error).message}`, { where: 'key', cause });
  }
  const algorithms = algorithmsFor(key);
  const spki = key.export({ type: 'spki', format: 'pem' }).toString();
  const cache = new Map<string, ReturnType<typeof importSPKI>>();
  return {
    algorithms,
    resolve: (header) => {
      const alg = header.alg;
      let k = cache.get(alg);
      if (!k) cache.set(alg, (k = importSPKI(spki, alg)));
      return k;
    },
  };
}

/** A verification key from a JWK set document (`{"keys":[...]}`), selected by `kid`/`alg`. */
export function jwtKeyFromJwks(jwks: unknown): JwtKey {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new MalformedInput('JWK set: expected an object with a "keys" array', { where: 'jwks' });
  const set = createLocalJWKSet({ keys } as Parameters<typeof createLocalJWKSet>[0]);
  return { algorithms: ['EdDSA', 'Ed25519', 'ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], resolve: set };
}

export interface JwtVerifyOptions {
  /** Current time, ms since epoch. */
  now: number;
  issuer?: string;
  audience?: string;
  /** Leeway for `exp`/`nbf`, seconds (default 0). */
  clockToleranceSec?: number;
  /** Claims that must be present (e.g. `exp`). */
  requiredClaims?: string[];
}

export interface VerifiedJwt {
  payload: JWTPayload & Record<string, unknown>;
  header: { alg: string; kid?: string; typ?: string };
}

function checkOf(err: unknown): [string, string] {
  if (err instanceof errors.JWTExpired) return ['jwt.exp', 'token has expired'];
  if (err instanceof errors.JWTClaimValidationFailed) return [`jwt.claims.${err.claim}`, `claim ${err.claim} ${err.reason}`];
  if (err instanceof errors.JWSSignatureVerificationFailed) return ['jwt.signature', 'signature verification failed'];
  if (err instanceof errors.JOSEAlgNotAllowed) return ['jwt.alg', 'algorithm not allowed for this key'];
  if (err instanceof errors.JWKSNoMatchingKey) return ['jwt.kid', 'no key in the JWK set matches the token'];
  if (err instanceof errors.JWKSMultipleMatchingKeys) return ['jwt.kid', 'several keys in the JWK set match; the token needs a kid'];
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return ['jwt.format', 'malformed token'];
  if (err instanceof errors.JOSENotSupported) return ['jwt.alg', 'unsupported algorithm'];
  if (err instanceof TypeError) return ['jwt.key', 'key does not fit the token algorithm'];
  return ['jwt.format', (err as Error)?.message ?? 'invalid token'];
}

/** Verify a compact JWS JWT; returns payload and header or throws `VerificationFailed` (`jwt.*`). */
export async function verifyJwt(token: string, key: JwtKey, options: JwtVerifyOptions): Promise<VerifiedJwt> {
  try {
    const r = await jwtVerify(token, key.resolve, {
      algorithms: [...key.algorithms],
      currentDate: new Date(options.now),
      clockTolerance: options.clockToleranceSec ?? 0,
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      ...(options.requiredClaims ? { requiredClaims: options.requiredClaims } : {}),
    });
    return { payload: r.payload as VerifiedJwt['payload'], header: r.protectedHeader as VerifiedJwt['header'] };
  } catch (cause) {
    const [check, message] = checkOf(cause);
    throw new VerificationFailed(check, message, { cause });
  }
}

export interface JwtSignOptions {
  /** Issued-at, ms since epoch. */
  now: number;
  /** Lifetime in seconds; sets `exp`. */
  ttlSec: number;
  issuer?: string;
  audience?: string | string[];
  subject?: string;
}

/** Sign a JWT with a PKCS#8 PEM private key; the algorithm follows the key type (EdDSA, ES256, ...). */
export async function signJwt(claims: Record<string, unknown>, privateKeyPem: string, options: JwtSignOptions): Promise<string> {
  let pk: KeyObject;
  try {
    pk = createPrivateKey(privateKeyPem);
  } catch (cause) {
    throw new MalformedInput(`not a PEM private key: ${(cause as Error).message}`, { where: 'key', cause });
  }
  const alg = algorithmsFor(pk)[0]!;
  const key = await importPKCS8(pk.export({ type: 'pkcs8', format: 'pem' }).toString(), alg);
  const iat = Math.floor(options.now / 1000);
  let jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt(iat).setExpirationTime(iat + options.ttlSec);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  return jwt.sign(key);
}
