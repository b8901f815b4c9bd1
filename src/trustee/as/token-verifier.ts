/**
 * Attestation-token verification as KBS's `[attestation_token]` does it (reference/trustee.md §1.12):
 * a header `jwk` is trusted when it is one of our own signer keys, when `insecure_header_jwk` is set,
 * or when its `x5c` chain ends in a trusted certificate and the leaf key equals the `jwk`; a header
 * `kid` is looked up in the trusted JWK sets. `exp` is required (60 s leeway), `nbf` honoured.
 * @module
 */
import { X509Certificate, constants, verify, type KeyObject } from 'node:crypto';
import {
  MalformedInput,
  VerificationFailed,
  expectObject,
  fromBase64,
  fromBase64Url,
  fromUtf8,
  parseJsonText,
  publicKeyFromJwk,
  type PublicJwk,
} from '../../core/index.js';
import type { IssuedTokens } from './issued-tokens.js';

const LEEWAY_S = 60;

export interface TokenTrust {
  /** Trust anchors for header `x5c` chains (`trusted_certs_paths`). */
  trustedCerts?: X509Certificate[];
  /** Keys looked up by header `kid` (`trusted_jwk_sets`). */
  jwks?: Array<Record<string, unknown>>;
  /** Public keys trusted directly when they appear as the header `jwk` (our own AS signer). */
  trustedKeys?: KeyObject[];
  /** Trust whatever key the header carries (upstream `insecure_header_jwk`). Development only. */
  insecureHeaderJwk?: boolean;
  /** Tokens our own signer issued: one presented byte for byte needs no signature check (see issued-tokens.ts). */
  issued?: IssuedTokens;
  /**
   * Called by `verifyAsync` when a header `kid` is not in `jwks`: may reload the sets (through
   * `replaceJwks`) and resolves true when they changed, after which the kid is looked up once more.
   */
  onUnknownKid?: () => Promise<boolean>;
}

type Jwk = Record<string, unknown>;

const fail = (check: string, message: string, cause?: unknown): never => {
  throw new VerificationFailed(`token.${check}`, message, { cause });
};

function keyOfJwk(jwk: Jwk): KeyObject {
  try {
    return publicKeyFromJwk(jwk as unknown as PublicJwk);
  } catch (cause) {
    return fail('jwk', 'token key is not a usable RSA or EC public key', cause);
  }
}

function spkiEqual(a: KeyObject, b: KeyObject): boolean {
  return a.equals(b);
}

function validAt(cert: X509Certificate, now: Date): boolean {
  return Date.parse(cert.validFrom) <= now.getTime() && now.getTime() <= Date.parse(cert.validTo);
}

/**
 * Check that `jwk.x5c` endorses `jwk`: the leaf key equals the JWK and the chain (intermediates in any
 * order) reaches one of `anchors` (an anchor may also be an intermediate: partial chains are fine).
 * Returns the key; throws `VerificationFailed` (`token.x5c.*`).
 */
export function endorseHeaderJwk(jwk: Jwk, anchors: readonly X509Certificate[], now: Date): KeyObject {
  const key = keyOfJwk(jwk);
  if (!Array.isArray(jwk.x5c) || jwk.x5c.length === 0) return fail('x5c.missing', 'token header jwk has no x5c chain and is not trusted');
  let chain: X509Certificate[];
  try {
    chain = (jwk.x5c as unknown[]).map((c) => new X509Certificate(fromBase64(String(c), 'x5c')));
  } catch (cause) {
    return fail('x5c.parse', 'x5c holds a certificate that does not parse', cause);
  }
  const leaf = chain[0]!;
  if (!spkiEqual(leaf.publicKey, key)) fail('x5c.leaf_key', 'x5c leaf certificate key differs from the header jwk');
  const pool = chain.slice(1);
  let cur = leaf;
  for (let depth = 0; depth < 16; depth++) {
    if (!validAt(cur, now)) fail('x5c.validity', `certificate ${cur.subject} is not valid at ${now.toISOString()}`);
    if (anchors.some((a) => a.fingerprint256 === cur.fingerprint256)) return key;
    const anchor = anchors.find((a) => cur.checkIssued(a) && cur.verify(a.publicKey));
    if (anchor) {
      if (!validAt(anchor, now)) fail('x5c.validity', `trust anchor ${anchor.subject} is not valid at ${now.toISOString()}`);
      return key;
    }
    const idx = pool.findIndex((c) => cur.checkIssued(c) && cur.verify(c.publicKey));
    if (idx < 0) break;
    cur = pool.splice(idx, 1)[0]!;
  }
  return fail('x5c.chain', 'x5c chain does not lead to a trusted certificate');
}

/** The node:crypto `verify` arguments for `alg` with `key`; throws `token.alg` when they do not fit. */
function verifyParams(alg: string, key: KeyObject): { hash: string | null; key: KeyObject | { key: KeyObject; dsaEncoding?: 'ieee-p1363'; padding?: number; saltLength?: number } } {
  const kty = key.asymmetricKeyType;
  let m: RegExpExecArray | null;
  if ((m = /^ES(256|384|512)$/.exec(alg)) && kty === 'ec') return { hash: `sha${m[1]}`, key: { key, dsaEncoding: 'ieee-p1363' } };
  if ((m = /^RS(256|384|512)$/.exec(alg)) && kty === 'rsa') return { hash: `sha${m[1]}`, key };
  if ((m = /^PS(256|384|512)$/.exec(alg)) && kty === 'rsa') {
    return { hash: `sha${m[1]}`, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(m[1]) / 8 } };
  }
  if (alg === 'EdDSA' && kty === 'ed25519') return { hash: null, key };
  return fail('alg', `token algorithm ${alg} does not fit its ${kty ?? 'unknown'} key`);
}

function verifySignature(alg: string, key: KeyObject, input: Uint8Array, sig: Uint8Array): boolean {
  const p = verifyParams(alg, key);
  return verify(p.hash, input, p.key, sig);
}

function verifySignatureAsync(alg: string, key: KeyObject, input: Uint8Array, sig: Uint8Array): Promise<boolean> {
  const p = verifyParams(alg, key);
  // A signature node:crypto cannot even process (e.g. a wrong-length ECDSA signature) does not verify.
  return new Promise((resolve) => verify(p.hash, input, p.key, sig, (err, ok) => resolve(!err && ok)));
}

/** Decoded, not yet trusted pieces of a compact JWS. */
interface ParsedJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: Uint8Array;
  signature: Uint8Array;
  headerText: string;
}

/** Split and decode a compact JWS; throws `MalformedInput`. */
export function parseCompactJws(token: string): ParsedJws {
  const parts = token.split('.');
  if (parts.length !== 3) throw new MalformedInput('token is not a compact JWS (three dot-separated parts)', { where: 'token' });
  const headerText = fromUtf8(fromBase64Url(parts[0]!, 'token.header'), 'token.header');
  const header = expectObject(parseJsonText(headerText, 'token.header'), 'token.header');
  const payload = expectObject(parseJsonText(fromUtf8(fromBase64Url(parts[1]!, 'token.payload'), 'token.payload'), 'token.payload'), 'token.payload');
  return { header, payload, headerText, signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), signature: fromBase64Url(parts[2]!, 'token.signature') };
}

export class TokenVerifier {
  private readonly anchors: X509Certificate[];
  /** Header text → key, for keys whose trust does not depend on the time (our signer, `kid` keys). */
  private readonly keyCache = new Map<string, KeyObject>();

  private readonly trust: TokenTrust;

  constructor(trust: TokenTrust) {
    this.trust = { ...trust };
    this.anchors = trust.trustedCerts ?? [];
  }

  /**
   * Trust exactly these `kid` keys from now on (reloaded `trusted_jwk_sets`). Keys already looked up
   * are forgotten, so a key dropped from the sets stops verifying at once.
   */
  replaceJwks(jwks: Array<Record<string, unknown>>): void {
    this.trust.jwks = jwks;
    this.keyCache.clear();
  }

  /** Set or clear the hook `verifyAsync` calls on an unknown `kid` (see `TokenTrust.onUnknownKid`). */
  setUnknownKidHook(hook: (() => Promise<boolean>) | undefined): void {
    if (hook) this.trust.onUnknownKid = hook;
    else delete this.trust.onUnknownKid;
  }

  /** True when some trust material is configured (upstream refuses to start without it). */
  hasTrust(): boolean {
    return Boolean(this.trust.insecureHeaderJwk || this.anchors.length || this.trust.jwks?.length || this.trust.trustedKeys?.length);
  }

  /** The verification key of a header; `cacheable` when its trust does not depend on the time. */
  private keyFor(header: Record<string, unknown>, headerText: string, now: Date): { key: KeyObject; cacheable: boolean } {
    const cached = this.keyCache.get(headerText);
    if (cached) return { key: cached, cacheable: true };
    let key: KeyObject;
    let cacheable = true;
    if (header.jwk !== undefined) {
      const jwk = expectObject(header.jwk, 'token.header.jwk');
      const candidate = keyOfJwk(jwk);
      if (this.trust.trustedKeys?.some((k) => spkiEqual(k, candidate)) || this.trust.insecureHeaderJwk) key = candidate;
      else {
        key = endorseHeaderJwk(jwk, this.anchors, now);
        cacheable = false; // chain validity depends on the time
      }
    } else if (typeof header.kid === 'string') {
      const jwk = this.trust.jwks?.find((k) => k.kid === header.kid);
      if (!jwk) return fail('kid', `no trusted key with kid ${JSON.stringify(header.kid)}`);
      // Upstream takes the algorithm from the JWK's `alg`; a header that asks for another one is refused.
      if (typeof jwk.alg === 'string' && jwk.alg !== header.alg) fail('alg', `token alg ${String(header.alg)} differs from the alg ${jwk.alg} of key ${JSON.stringify(header.kid)}`);
      key = keyOfJwk(jwk);
    } else {
      return fail('key', 'token header has neither jwk nor kid');
    }
    if (cacheable) {
      if (this.keyCache.size > 256) this.keyCache.clear();
      this.keyCache.set(headerText, key);
    }
    return { key, cacheable };
  }

  /** Verify a compact JWS token at `now`; returns its claims or throws `VerificationFailed` (`token.*`). */
  verify(token: string, now: Date): Record<string, unknown> {
    return this.ownToken(token, now) ?? this.check(token, now, undefined);
  }

  /** Verify a token against one known key, whatever its header says (admin tokens). */
  verifyWithKey(token: string, key: KeyObject, now: Date): Record<string, unknown> {
    return this.check(token, now, key);
  }

  /**
   * Verify a compact JWS token at `now` like `verify`, with the signature check on the libuv thread
   * pool so the event loop can serve other requests meanwhile (the hot path of resource releases).
   */
  async verifyAsync(token: string, now: Date): Promise<Record<string, unknown>> {
    const own = this.ownToken(token, now);
    if (own) return own;
    let prepared: ReturnType<TokenVerifier['prepare']>;
    try {
      prepared = this.prepare(token, now, undefined);
    } catch (err) {
      // A kid we do not know may be a key the identity provider has just rotated in: reload, look again.
      const reload = this.trust.onUnknownKid;
      if (!(err instanceof VerificationFailed && err.check === 'token.kid' && reload && (await reload()))) throw err;
      prepared = this.prepare(token, now, undefined);
    }
    const { jws, alg, key } = prepared;
    if (!(await verifySignatureAsync(alg, key, jws.signingInput, jws.signature))) fail('signature', 'token signature does not verify');
    return checkTimes(jws.payload, now);
  }

  /**
   * The claims of a token our signer issued, byte for byte, with its times checked; undefined for any
   * other token. One of the newest gives back the claims it was signed from; an older one is parsed.
   */
  private ownToken(token: string, now: Date): Record<string, unknown> | undefined {
    const issued = this.trust.issued;
    if (!issued) return undefined;
    const nowS = now.getTime() / 1000;
    const claims = issued.claimsOf(token, nowS);
    if (claims !== undefined) return checkTimes(claims as Record<string, unknown>, now);
    return issued.has(token, nowS) ? this.checkIssued(token, now) : undefined;
  }

  /** A token our signer issued, byte for byte: its signature is ours by construction; times are still checked. */
  private checkIssued(token: string, now: Date): Record<string, unknown> {
    let jws: ParsedJws;
    try {
      jws = parseCompactJws(token);
    } catch (cause) {
      return fail('format', (cause as Error).message, cause);
    }
    return checkTimes(jws.payload, now);
  }

  private check(token: string, now: Date, fixedKey: KeyObject | undefined): Record<string, unknown> {
    const { jws, alg, key } = this.prepare(token, now, fixedKey);
    if (!verifySignature(alg, key, jws.signingInput, jws.signature)) fail('signature', 'token signature does not verify');
    return checkTimes(jws.payload, now);
  }

  /** Parse the token and find its key; the signature is checked by the caller on every use (only the header → key mapping is cached). */
  private prepare(token: string, now: Date, fixedKey: KeyObject | undefined): { jws: ParsedJws; alg: string; key: KeyObject } {
    let jws: ParsedJws;
    try {
      jws = parseCompactJws(token);
    } catch (cause) {
      return fail('format', (cause as Error).message, cause);
    }
    const alg = jws.header.alg;
    if (typeof alg !== 'string' || alg === 'none') return fail('alg', 'token has no usable alg');
    const jwkAlg = (jws.header.jwk as Jwk | undefined)?.alg;
    if (jwkAlg !== undefined && jwkAlg !== alg) fail('alg', `token alg ${alg} differs from its key's alg ${String(jwkAlg)}`);
    return { jws, alg, key: fixedKey ?? this.keyFor(jws.header, jws.headerText, now).key };
  }
}

/** `exp` (required) and `nbf` against `now`, with leeway; returns the claims. */
function checkTimes(payload: Record<string, unknown>, now: Date): Record<string, unknown> {
  const t = now.getTime() / 1000;
  const exp = payload.exp;
  if (typeof exp !== 'number') fail('exp', 'token has no exp claim');
  if ((exp as number) + LEEWAY_S < t) fail('exp', 'token has expired');
  const nbf = payload.nbf;
  if (typeof nbf === 'number' && nbf - LEEWAY_S > t) fail('nbf', 'token is not valid yet');
  return payload;
}
