/**
 * Core: bytes, encodings, canonical JSON, hashing and the error family. Pure; imports nothing from src/.
 * @module
 */
export {
  CocoError,
  MalformedInput,
  VerificationFailed,
  PolicyDenied,
  NotFound,
  Unauthorized,
  Unsupported,
  Conflict,
  LimitExceeded,
  Unavailable,
  ConfigError,
  isCocoError,
  ERROR_CODES,
} from './errors.js';
export type { ErrorCode, CheckRecord } from './errors.js';
export { toHex, fromHex, toBase64, fromBase64, toBase64Url, fromBase64Url, utf8, fromUtf8 } from './encoding.js';
export { concatBytes, bytesEqual, secretEqual, resizeBytes, isAllZero, ByteReader } from './bytes.js';
export { secureRandomBytes } from './random.js';
export { canonicalize } from './canonical-json.js';
export { digest, digestLength, parseHashAlgorithm, sha256, sha384, sha512 } from './hash.js';
export type { HashAlgorithm } from './hash.js';
export { expectObject, expectString, expectArray, expectNumber, expectBoolean, optionalString, parseJsonText } from './json.js';
export type { JsonValue, JsonObject } from './json.js';
export { parseToml, stringifyToml } from './toml.js';
export { encryptJwe, decryptJwe, ecPointOf, pointNotOnCurve, generateTeeKeyPair, jweAlgFor, publicJwkOf, publicKeyFromJwk } from './jwe.js';
export type { FlattenedJwe, PublicJwk, EcPublicJwk, RsaPublicJwk, EcCurve } from './jwe.js';
export { p256Native, p256NativeThread, disableNativeP256, type P256NativeThread, type P256PreparedRelease, type P256SigningKey } from './p256-native.js';
export { verifyJwt, signJwt, jwtKeyFromPem, jwtKeyFromJwks } from './jose.js';
export type { JwtKey, JwtVerifyOptions, JwtSignOptions, VerifiedJwt } from './jose.js';
export { satisfiesRange, parseRange } from './semver-range.js';
export { isLoopbackAddress } from './address.js';
export { FifoMap } from './fifo-map.js';
export type { SemverRange } from './semver-range.js';
