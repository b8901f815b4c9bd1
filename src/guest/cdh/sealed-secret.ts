/**
 * Unsealing (reference/guest-components.md §3.4): verify the ES256 signature with the key named
 * by `kid` — fetched from KBS when `kid` is a resource URI, else read from the local key
 * directory (a single file name, never a path) — then resolve the payload through its provider.
 * With `skipVerification` the legacy unsigned form is accepted, as upstream's
 * `skip_sealed_secret_verification`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MalformedInput, NotFound, Unsupported, fromUtf8, parseJsonText, type EcPublicJwk } from '../../core/index.js';
import {
  SEALED_SECRET_KEY_DIR,
  parseSealedSecret,
  parseSigningJwk,
  parseUnsignedSealedSecret,
  verifySealedSecret,
  type SecretPayload,
} from '../../protocol/index.js';
import { getVaultSecret, openKbsEnvelope, type ResourceSource } from './kms-kbs.js';

export interface UnsealOptions {
  kbs: ResourceSource;
  skipVerification?: boolean;
  /** Directory of local verification keys (default upstream's). */
  keyDir?: string;
}

const SAFE_KID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** The verification JWK named by `kid`. */
export async function resolveSigningKey(kid: string, opts: UnsealOptions): Promise<EcPublicJwk> {
  if (kid.startsWith('kbs:') || kid.startsWith('kbs+')) {
    return parseSigningJwk(parseJsonText(fromUtf8(await opts.kbs.getResource(kid), 'sealed-secret key'), 'sealed-secret key'), 'sealed-secret key');
  }
  if (!SAFE_KID.test(kid) || kid.includes('..')) throw new MalformedInput(`sealed secret kid ${JSON.stringify(kid)} is neither a resource URI nor a key file name`, { where: 'sealed-secret.header.kid' });
  let text: string;
  try {
    text = await readFile(join(opts.keyDir ?? SEALED_SECRET_KEY_DIR, kid), 'utf8');
  } catch (cause) {
    throw new NotFound(`no verification key for kid ${JSON.stringify(kid)}`, { cause });
  }
  return parseSigningJwk(parseJsonText(text, 'sealed-secret key'), 'sealed-secret key');
}

/** Resolve a verified payload to the secret bytes. */
export async function resolvePayload(p: SecretPayload, kbs: ResourceSource): Promise<Uint8Array> {
  if (p.provider.toLowerCase() !== 'kbs') throw new Unsupported(`sealed secret provider ${JSON.stringify(p.provider)} is not supported (kbs only)`);
  return p.type === 'vault' ? getVaultSecret(kbs, p) : openKbsEnvelope(kbs, p);
}

/**
 * Unseal `sealed.…`.
 * @throws VerificationFailed `sealed_secret.signature` (wrong key, tampered), NotFound (unknown kid),
 *   Unsupported (alg, provider), MalformedInput, and the KBS client's errors
 */
export async function unsealSecret(text: string, opts: UnsealOptions): Promise<Uint8Array> {
  const trimmed = text.trim();
  if (opts.skipVerification) return resolvePayload(parseUnsignedSealedSecret(trimmed), opts.kbs);
  const sealed = parseSealedSecret(trimmed);
  const jwk = await resolveSigningKey(sealed.header.kid, opts);
  return resolvePayload(verifySealedSecret(sealed, jwk), opts.kbs);
}
