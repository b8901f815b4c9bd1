/**
 * The native P-256 addon in tests: the `skip` options for tests that need it (locally a missing
 * build skips with the reason; in CI, which builds it with `npm ci`, it is a failure), and a TEE key
 * pair with its uncompressed point as the addon takes it.
 * @module
 */
import { generateTeeKeyPair, p256Native, p256NativeThread, type EcPublicJwk } from '../../src/core/index.js';

const BUILD = 'npm install builds it with python3, make and g++';

function skipUnless(present: boolean, what: string): false | string {
  if (present) return false;
  const why = `needs ${what} (${BUILD})`;
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${why}`);
  return why;
}

/** `skip` for tests of the addon's in-place functions. */
export const requireNativeP256 = (): false | string => skipUnless(p256Native() !== undefined, 'the native P-256 addon');

/** `skip` for tests of the addon's crypto thread. */
export const requireCryptoThread = (): false | string => skipUnless(p256NativeThread() !== undefined, 'the native P-256 addon with its crypto thread');

/** A P-256 TEE key pair and its point `04 ‖ x ‖ y`. */
export function teeKeyWithPoint() {
  const { privateKey, jwk } = generateTeeKeyPair('P-256');
  const ec = jwk as EcPublicJwk;
  return { privateKey, jwk, point: Buffer.concat([Buffer.from([4]), Buffer.from(ec.x, 'base64url'), Buffer.from(ec.y, 'base64url')]) };
}
