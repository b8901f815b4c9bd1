/**
 * Sealed secrets (reference/guest-components.md §3.4): `sealed.` + a compact JWS (ES256, P-256)
 * whose payload names where the secret lives (`vault`) or carries it encrypted (`envelope`).
 * Parse, serialize, sign and verify live here so the guest's CDH and `coco secret seal` agree.
 * Pure: keys come in as arguments, nothing is fetched.
 * @module
 */
import { createPrivateKey, sign as signRaw, verify as verifyRaw, type KeyObject } from 'node:crypto';
import {
  MalformedInput,
  Unsupported,
  VerificationFailed,
  expectObject,
  expectString,
  fromBase64Url,
  fromUtf8,
  parseJsonText,
  publicKeyFromJwk,
  toBase64Url,
  utf8,
  type EcPublicJwk,
} from '../core/index.js';

/** Every sealed secret starts with this prefix. */
export const SEALED_PREFIX = 'sealed.';
/** The only payload version upstream accepts. */
export const SEALED_SECRET_VERSION = '0.1.0';
/** Upstream default directory for local verification keys named by a non-URI `kid`. */
export const SEALED_SECRET_KEY_DIR = '/run/confidential-containers/cdh/sealed-secret';

export type EnvelopeWrapType = 'A256GCM' | 'A256CTR';

interface SecretCommon {
  version: string;
  provider: string;
  provider_settings: Record<string, unknown>;
  annotations: Record<string, unknown>;
}

/** The secret lives elsewhere: `name` is the provider's id (for `kbs`, a `kbs:///` resource URI). */
export interface VaultSecret extends SecretCommon {
  type: 'vault';
  name: string;
}

/**
 * The secret is in the payload, encrypted with a data key (DEK) that the provider unwraps.
 * `encrypted_key`, `encrypted_data` and `iv` are standard base64; they are kept as text here and
 * decoded only when used, so upstream's placeholder examples still parse.
 */
export interface EnvelopeSecret extends SecretCommon {
  type: 'envelope';
  key_id: string;
  encrypted_key: string;
  encrypted_data: string;
  wrap_type: EnvelopeWrapType;
  iv: string;
}

export type SecretPayload = VaultSecret | EnvelopeSecret;

/** The protected header of a sealed secret's JWS. */
export interface SealedSecretHeader {
  alg: 'ES256';
  kid: string;
}

/** A structurally valid sealed secret; its signature is NOT yet verified. */
export interface SealedSecret {
  header: SealedSecretHeader;
  payload: SecretPayload;
  /** `<b64 header>.<b64 payload>` exactly as received: what the signature covers. */
  signingInput: string;
  /** Raw `r ‖ s` (64 bytes). */
  signature: Uint8Array;
}

function optionalMap(v: unknown, where: string): Record<string, unknown> {
  return v === undefined || v === null ? {} : expectObject(v, where);
}

/** Parse a payload object (vault or envelope). Throws `MalformedInput`/`Unsupported`. */
export function parseSecretPayload(input: unknown): SecretPayload {
  const o = expectObject(input, 'secret');
  const version = expectString(o.version, 'secret.version');
  if (version !== SEALED_SECRET_VERSION) throw new Unsupported(`sealed secret version ${JSON.stringify(version)} (only ${SEALED_SECRET_VERSION})`);
  const common = {
    version,
    provider: expectString(o.provider, 'secret.provider'),
    provider_settings: optionalMap(o.provider_settings, 'secret.provider_settings'),
    annotations: optionalMap(o.annotations, 'secret.annotations'),
  };
  const type = expectString(o.type, 'secret.type');
  if (type === 'vault') return { ...common, type, name: expectString(o.name, 'secret.name') };
  if (type === 'envelope') {
    const wrap = expectString(o.wrap_type, 'secret.wrap_type');
    if (wrap !== 'A256GCM' && wrap !== 'A256CTR') throw new Unsupported(`envelope wrap_type ${JSON.stringify(wrap)} (A256GCM or A256CTR)`);
    return {
      ...common,
      type,
      key_id: expectString(o.key_id, 'secret.key_id'),
      encrypted_key: expectString(o.encrypted_key, 'secret.encrypted_key'),
      encrypted_data: expectString(o.encrypted_data, 'secret.encrypted_data'),
      wrap_type: wrap,
      iv: expectString(o.iv, 'secret.iv'),
    };
  }
  throw new MalformedInput(`secret.type: unknown ${JSON.stringify(type)} (vault or envelope)`, { where: 'secret.type' });
}

/** The payload as upstream's serde emits it (fields in declaration order). */
export function secretPayloadJson(p: SecretPayload): Record<string, unknown> {
  const head = { version: p.version, type: p.type };
  const tail = { provider: p.provider, provider_settings: p.provider_settings, annotations: p.annotations };
  if (p.type === 'vault') return { ...head, name: p.name, ...tail };
  const { key_id, encrypted_key, encrypted_data, wrap_type, iv } = p;
  return { ...head, key_id, encrypted_key, encrypted_data, wrap_type, iv, ...tail };
}

function decodeJsonPart(part: string, where: string): unknown {
  return parseJsonText(fromUtf8(fromBase64Url(part, where), where), where);
}

/** Split `sealed.<h>.<p>.<s>` and parse header and payload. Does not verify the signature. */
export function parseSealedSecret(text: string): SealedSecret {
  if (typeof text !== 'string' || !text.startsWith(SEALED_PREFIX)) {
    throw new MalformedInput('sealed secret must start with "sealed."', { where: 'sealed-secret' });
  }
  const parts = text.slice(SEALED_PREFIX.length).split('.');
  if (parts.length !== 3) throw new MalformedInput(`sealed secret must have 3 JWS parts, got ${parts.length}`, { where: 'sealed-secret' });
  const [h, p, s] = parts as [string, string, string];
  const ho = expectObject(decodeJsonPart(h, 'sealed-secret.header'), 'sealed-secret.header');
  const alg = expectString(ho.alg, 'sealed-secret.header.alg');
  if (alg !== 'ES256') throw new Unsupported(`sealed secret alg ${JSON.stringify(alg)} (only ES256)`);
  const kid = expectString(ho.kid, 'sealed-secret.header.kid');
  const payload = parseSecretPayload(decodeJsonPart(p, 'sealed-secret.payload'));
  const signature = fromBase64Url(s, 'sealed-secret.signature');
  if (signature.length !== 64) throw new MalformedInput('ES256 signature must be 64 bytes (r ‖ s)', { where: 'sealed-secret.signature' });
  return { header: { alg, kid }, payload, signingInput: `${h}.${p}`, signature };
}

/**
 * Legacy unsigned form accepted only with `skip_sealed_secret_verification`:
 * `sealed.<anything>.<b64url payload>.<anything>`.
 */
export function parseUnsignedSealedSecret(text: string): SecretPayload {
  if (typeof text !== 'string' || !text.startsWith(SEALED_PREFIX)) {
    throw new MalformedInput('sealed secret must start with "sealed."', { where: 'sealed-secret' });
  }
  const parts = text.split('.');
  if (parts.length !== 4) throw new MalformedInput(`sealed secret must have 4 dot-separated parts, got ${parts.length}`, { where: 'sealed-secret' });
  return parseSecretPayload(decodeJsonPart(parts[2]!, 'sealed-secret.payload'));
}

/** Parse a verification key: an EC P-256 JWK (`d` and other members ignored). */
export function parseSigningJwk(input: unknown, where = 'jwk'): EcPublicJwk {
  const o = expectObject(input, where);
  if (o.kty !== 'EC' || o.crv !== 'P-256') throw new Unsupported(`${where}: sealed-secret keys must be EC P-256`);
  return { kty: 'EC', crv: 'P-256', x: expectString(o.x, `${where}.x`), y: expectString(o.y, `${where}.y`) };
}

/**
 * Check the ES256 signature of a parsed sealed secret with `jwk`.
 * @throws VerificationFailed `sealed_secret.signature` when it does not verify.
 */
export function verifySealedSecret(sealed: SealedSecret, jwk: EcPublicJwk): SecretPayload {
  const key = publicKeyFromJwk(jwk);
  const ok = verifyRaw('sha256', utf8(sealed.signingInput), { key, dsaEncoding: 'ieee-p1363' }, sealed.signature);
  if (!ok) throw new VerificationFailed('sealed_secret.signature', `sealed secret signature does not verify with key ${JSON.stringify(sealed.header.kid)}`);
  return sealed.payload;
}

/** A P-256 private signing key from a JWK with `d` (as `coco secret keygen` / upstream `secret keygen` write). */
export function signingKeyFromJwk(input: unknown): KeyObject {
  const pub = parseSigningJwk(input);
  const d = expectString(expectObject(input, 'jwk').d, 'jwk.d');
  try {
    return createPrivateKey({ key: { ...pub, d }, format: 'jwk' });
  } catch (cause) {
    throw new MalformedInput('jwk: invalid P-256 private key', { where: 'jwk', cause });
  }
}

/** Serialize and sign: `sealed.` + compact JWS with header `{"alg":"ES256","kid":kid}`. */
export function signSealedSecret(payload: SecretPayload, privateKey: KeyObject, kid: string): string {
  if (privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new TypeError('sealed secrets are signed with a P-256 key');
  const h = toBase64Url(utf8(JSON.stringify({ alg: 'ES256', kid })));
  const p = toBase64Url(utf8(JSON.stringify(secretPayloadJson(payload))));
  const sig = new Uint8Array(signRaw('sha256', utf8(`${h}.${p}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  return `${SEALED_PREFIX}${h}.${p}.${toBase64Url(sig)}`;
}
