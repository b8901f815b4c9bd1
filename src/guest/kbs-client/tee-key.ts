/**
 * The TEE key pair (reference/guest-components.md §2.3): EC P-256 by default, P-521 or RSA-2048
 * (OAEP-256) by configuration; its public JWK goes into `runtime-data.tee-pubkey` and KBS wraps
 * resources to it.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { ConfigError, generateTeeKeyPair, type PublicJwk } from '../../core/index.js';
import type { TeePubKey } from '../../protocol/index.js';

/** Upstream `tee_key_algorithm` names. */
export const TEE_KEY_ALGORITHMS = ['ECDH-ES+A256KW-P256', 'ECDH-ES+A256KW-P521', 'RSA-OAEP-256'] as const;
export type TeeKeyAlgorithm = (typeof TEE_KEY_ALGORITHMS)[number];

export interface TeeKey {
  privateKey: KeyObject;
  jwk: PublicJwk & { alg: string };
}

/** Parse a `tee_key_algorithm` setting. */
export function parseTeeKeyAlgorithm(v: string): TeeKeyAlgorithm {
  if (!(TEE_KEY_ALGORITHMS as readonly string[]).includes(v)) {
    throw new ConfigError(`tee_key_algorithm ${JSON.stringify(v)} (one of ${TEE_KEY_ALGORITHMS.join(', ')})`, { key: 'tee_key_algorithm' });
  }
  return v as TeeKeyAlgorithm;
}

/** A fresh TEE key pair. */
export function createTeeKey(alg: TeeKeyAlgorithm = 'ECDH-ES+A256KW-P256'): TeeKey {
  return generateTeeKeyPair(alg === 'RSA-OAEP-256' ? 'RSA' : alg === 'ECDH-ES+A256KW-P521' ? 'P-521' : 'P-256');
}

/** The `tee-pubkey` member exactly as upstream serializes it (members that JCS then sorts). */
export function teePubKeyOf(key: TeeKey): TeePubKey {
  const j = key.jwk;
  if (j.kty === 'EC') return { kty: 'EC', crv: j.crv, alg: j.alg, x: j.x, y: j.y };
  return { kty: 'RSA', alg: j.alg, n: j.n, e: j.e };
}

/** PEM of the private key as upstream's GetToken returns it (PKCS#1 for RSA, PKCS#8 for EC). */
export function teeKeyPem(key: TeeKey): string {
  const type = key.privateKey.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'pkcs8';
  return key.privateKey.export({ type, format: 'pem' }) as string;
}
