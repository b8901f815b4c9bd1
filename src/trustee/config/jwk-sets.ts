/**
 * Loads `[attestation_token] trusted_jwk_sets` (reference/trustee.md §1.12): each entry is a plain
 * path, a `file://` URL or an `https://` URL. An https URL is first read as a JWK set; when the answer
 * is not one, `<url>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4) is fetched and
 * its `jwks_uri` followed. Sets are loaded at startup, as upstream KBS does, and reloaded while Trustee
 * runs (`JwkSetRefresher`, beyond upstream).
 *
 * Keys are looked up by header `kid` (token-verifier.ts), so a key without a string `kid` can
 * never be selected: such keys are skipped, and a set left with no key at all is refused. `http://`
 * and other schemes are refused: trust material never travels in plaintext.
 *
 * HTTPS: one GET per document (`accept: application/json`), at most `timeoutMs` (default 10 s) from
 * connect to the last byte, at most `maxBytes` (default 1 MiB) of body, at most `maxRedirects`
 * (default 3) redirects and only to `https://` URLs. Certificates are checked against Node's default
 * roots (which include `NODE_EXTRA_CA_CERTS`, the operator's way to trust a private CA); the caller's
 * `extraCaPem` option adds one CA to Node's bundled roots instead (tests).
 * Every failure is a `ConfigError` with `key: 'attestation_token.trusted_jwk_sets'`.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../core/index.js';
import { HTTPS_GET_LIMIT, httpsGetOnce, withExtraCa } from '../http/https-get.js';

export const JWK_SETS_KEY = 'attestation_token.trusted_jwk_sets';

/** A trusted JWK as found in a set; only `kid` is checked here (the key itself is checked on use). */
export type TrustedJwk = Record<string, unknown> & { kid: string };

export interface JwkSetFetchOptions {
  /**
   * One more trusted CA (PEM) besides Node's bundled roots. When given, the trust list is exactly
   * those roots plus this CA (`NODE_EXTRA_CA_CERTS` then no longer applies).
   */
  extraCaPem?: string;
  /** Longest time for one GET, connect to last byte (default 10 000 ms). */
  timeoutMs?: number;
  /** Largest accepted body per GET (default 1 MiB). */
  maxBytes?: number;
  /** Redirects followed per document, each to an `https://` URL (default 3). */
  maxRedirects?: number;
  /**
   * The config key the sets come from, named by errors (default `attestation_token.trusted_jwk_sets`;
   * `attestation_service.certs_file` for Intel Trust Authority's keys).
   */
  configKey?: string;
}

const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

const configError = (message: string, cause?: unknown): ConfigError =>
  new ConfigError(`${JWK_SETS_KEY}: ${message}`, { key: JWK_SETS_KEY, ...(cause !== undefined ? { cause } : {}) });

/** Either the keys of a document shaped like a JWK set, or why it is not one. */
type SetShape = { keys: unknown[] } | { problem: string };

function shapeOf(value: unknown): SetShape {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'not a JSON object' };
  const keys = (value as Record<string, unknown>).keys;
  if (!Array.isArray(keys)) return { problem: 'no "keys" array' };
  return { keys };
}

/** The usable keys of a JWK set; throws when an entry is not an object or no key has a `kid`. */
function keysWithKid(keys: unknown[], source: string): TrustedJwk[] {
  const out: TrustedJwk[] = [];
  keys.forEach((k, i) => {
    if (k === null || typeof k !== 'object' || Array.isArray(k)) throw configError(`${source}: keys[${i}] is not an object`);
    if (typeof (k as Record<string, unknown>).kid === 'string') out.push(k as TrustedJwk);
  });
  if (out.length === 0) throw configError(`${source} has no key with a "kid" (keys are looked up by the token header kid)`);
  return out;
}

/**
 * The keys of a parsed JWK set document (`{ "keys": [ {...}, ... ] }`) from `source` (named in
 * errors). Keys without a string `kid` are skipped. Throws `ConfigError` when the document is not a
 * set, an entry is not an object, or no key has a `kid`.
 */
export function parseJwkSet(value: unknown, source: string): TrustedJwk[] {
  const shape = shapeOf(value);
  if ('problem' in shape) throw configError(`${source} is not a JWK set (${shape.problem})`);
  return keysWithKid(shape.keys, source);
}

function parseJsonBytes(body: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body)) };
  } catch {
    return { ok: false };
  }
}

/** What an entry of `trusted_jwk_sets` names. */
function schemeOf(source: string): 'file' | 'path' | 'https' | 'other' {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(source);
  if (!m || source.startsWith('/')) return 'path';
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'file') return 'file';
  if (scheme === 'https') return 'https';
  return 'other';
}

/** Read one local set (plain path or `file://` URL) synchronously. */
export function readJwkSetFile(source: string): TrustedJwk[] {
  let path = source;
  if (schemeOf(source) === 'file') {
    try {
      path = fileURLToPath(source);
    } catch (cause) {
      throw configError(`${source} is not a usable file URL (${(cause as Error).message})`, cause);
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw configError(`cannot read ${source}: ${(cause as Error).message}`, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw configError(`${source} is not JSON`, cause);
  }
  return parseJwkSet(value, source);
}

function refuseScheme(source: string): never {
  if (/^http:/i.test(source)) throw configError(`${source}: plain http:// is refused (trust material must come over https:// or from a file)`);
  throw configError(`${source}: unsupported scheme (use a path, file:// or https://)`);
}

/**
 * The local sets only (paths and `file://` URLs), read synchronously. An `https://` entry is a
 * `ConfigError`: remote sets are fetched by `loadTrustedJwkSets` (which `runTrustee` calls).
 */
export function readLocalJwkSets(sources: readonly string[], configKey = JWK_SETS_KEY): TrustedJwk[] {
  try {
    return sources.flatMap((s) => {
      const kind = schemeOf(s);
      if (kind === 'https') throw configError(`${s} is fetched over the network; load the sets with loadTrustedJwkSets (runTrustee does)`);
      if (kind === 'other') return refuseScheme(s);
      return readJwkSetFile(s);
    });
  } catch (err) {
    throw forKey(err, configKey);
  }
}

/** An error of this module named for `configKey` instead of `trusted_jwk_sets`. */
function forKey(err: unknown, configKey: string): unknown {
  if (configKey === JWK_SETS_KEY || !(err instanceof ConfigError) || err.key !== JWK_SETS_KEY) return err;
  return new ConfigError(`${configKey}${err.message.slice(JWK_SETS_KEY.length)}`, { key: configKey, cause: err.cause ?? err });
}

/**
 * All configured sets, in configuration order, concatenated (a `kid` found in an earlier set wins).
 * Remote sets are fetched concurrently. Throws `ConfigError` (`attestation_token.trusted_jwk_sets`)
 * naming the source and what went wrong.
 */
export async function loadTrustedJwkSets(sources: readonly string[], options: JwkSetFetchOptions = {}): Promise<TrustedJwk[]> {
  try {
    const sets = await Promise.all(
      sources.map(async (s) => {
        const kind = schemeOf(s);
        if (kind === 'https') return fetchJwkSet(s, options);
        if (kind === 'other') return refuseScheme(s);
        return readJwkSetFile(s);
      }),
    );
    return sets.flat();
  } catch (err) {
    throw forKey(err, options.configKey ?? JWK_SETS_KEY);
  }
}

interface Answer {
  status: number;
  body: Uint8Array;
  /** The URL that finally answered (after redirects). */
  url: string;
}

/** One GET with the limits above; redirects are followed here. Throws `ConfigError` on transport failures. */
async function get(url: string, o: JwkSetFetchOptions): Promise<Answer> {
  const maxRedirects = o.maxRedirects ?? 3;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const res = await getOnce(current, o);
    if (![301, 302, 303, 307, 308].includes(res.status)) return { status: res.status, body: res.body, url: current.href };
    if (!res.location) throw configError(`${current.href}: HTTP ${res.status} redirect without a Location`);
    if (hop >= maxRedirects) throw configError(`${url}: more than ${maxRedirects} redirects`);
    let next: URL;
    try {
      next = new URL(res.location, current);
    } catch (cause) {
      throw configError(`${current.href}: redirect to an invalid URL`, cause);
    }
    if (next.protocol !== 'https:') throw configError(`${current.href}: redirect to ${next.href} refused (only https:// is followed)`);
    current = next;
  }
}

async function getOnce(url: URL, o: JwkSetFetchOptions): Promise<{ status: number; body: Uint8Array; location: string | undefined }> {
  try {
    const res = await httpsGetOnce(url, {
      accept: 'application/json',
      noKeepAlive: true, // the sets are fetched minutes apart: no idle connection is kept
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.maxBytes !== undefined ? { maxBytes: o.maxBytes } : {}),
      ...withExtraCa(o.extraCaPem),
    });
    return { status: res.status, body: new Uint8Array(res.body), location: res.headers.location };
  } catch (e) {
    const limit = (e as NodeJS.ErrnoException).code === HTTPS_GET_LIMIT;
    throw configError(`${url.href}: ${limit ? (e as Error).message : transportFailure(e as Error)}`, e);
  }
}

/** "TLS handshake failed (...)" for certificate and TLS errors, "unreachable (...)" for the rest. */
function transportFailure(e: Error): string {
  const code = (e as NodeJS.ErrnoException).code;
  const detail = code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL/.test(code);
  return `${tls ? 'TLS handshake failed' : 'unreachable'} (${detail})`;
}

const isOk = (status: number) => status >= 200 && status < 300;

/** A GET answer as a JWK set, or why it is not one. */
function setShapeOf(a: Answer): SetShape {
  if (!isOk(a.status)) return { problem: `HTTP ${a.status}` };
  const json = parseJsonBytes(a.body);
  if (!json.ok) return { problem: 'not JSON' };
  return shapeOf(json.value);
}

/** `<url>/.well-known/openid-configuration`, the OIDC discovery document for an issuer URL. */
export function discoveryUrlOf(url: string): string {
  const u = new URL(url);
  u.pathname = u.pathname.replace(/\/+$/, '') + DISCOVERY_SUFFIX;
  u.search = '';
  u.hash = '';
  return u.href;
}

/** Fetch one https set: the URL itself as a JWK set, else its OpenID discovery document's `jwks_uri`. */
async function fetchJwkSet(url: string, o: JwkSetFetchOptions): Promise<TrustedJwk[]> {
  if (!URL.canParse(url)) throw configError(`${url} is not a valid URL`);
  const direct = await get(url, o);
  const shape = setShapeOf(direct);
  if ('keys' in shape) return keysWithKid(shape.keys, url);

  const discovery = discoveryUrlOf(url);
  const notSet = `${url} is not a JWK set (${shape.problem})`;
  const doc = await get(discovery, o);
  if (!isOk(doc.status)) throw configError(`${notSet}, and its OpenID discovery document ${discovery} answered HTTP ${doc.status}`);
  const json = parseJsonBytes(doc.body);
  if (!json.ok || json.value === null || typeof json.value !== 'object' || Array.isArray(json.value)) {
    throw configError(`${notSet}, and its OpenID discovery document ${discovery} is not a JSON object`);
  }
  const jwksUri = (json.value as Record<string, unknown>).jwks_uri;
  if (typeof jwksUri !== 'string') throw configError(`${notSet}, and its OpenID discovery document ${discovery} has no "jwks_uri"`);
  let target: URL;
  try {
    target = new URL(jwksUri);
  } catch (cause) {
    throw configError(`${discovery}: jwks_uri ${JSON.stringify(jwksUri)} is not a URL`, cause);
  }
  if (target.protocol !== 'https:') throw configError(`${discovery}: jwks_uri ${target.href} is not https://`);
  const set = setShapeOf(await get(target.href, o));
  if ('problem' in set) throw configError(`${target.href} (jwks_uri of ${discovery}) is not a JWK set (${set.problem})`);
  return keysWithKid(set.keys, target.href);
}

export interface JwkSetRefreshOptions extends JwkSetFetchOptions {
  /** Reload all sets every this many ms; 0 reloads only on demand (`refreshIfDue`). */
  intervalMs: number;
  /** On-demand reloads start at most once per this many ms (default 30 000). */
  minGapMs?: number;
  /** The clock in ms (tests move it). */
  now?: () => number;
}

/**
 * Keeps the trusted JWK sets current after startup, so that a key the identity provider rotates in is
 * trusted without a restart. Every reload reads all sources again, in configuration order, exactly as
 * startup does; only a reload that succeeds for every source replaces the keys, and only when they
 * differ. A failed reload keeps the last good keys (a network blip must not lock guests out) and is
 * reported through `onError`.
 *
 * Reloads happen every `intervalMs`, and on demand (`refreshIfDue`, called when a token names a kid
 * we do not know) at most once per `minGapMs`, so tokens with made-up kids cannot make Trustee fetch
 * more often than that. Concurrent callers share one reload.
 */
export class JwkSetRefresher {
  private readonly sources: readonly string[];
  private readonly options: JwkSetRefreshOptions;
  private readonly onChange: (keys: TrustedJwk[]) => void;
  private readonly onError: (err: Error) => void;
  private readonly now: () => number;
  private fingerprint: string;
  private inFlight: Promise<boolean> | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  /** `initial`: the keys loaded at startup; `onChange` gets each new set of keys. */
  constructor(sources: readonly string[], initial: readonly TrustedJwk[], options: JwkSetRefreshOptions, onChange: (keys: TrustedJwk[]) => void, onError: (err: Error) => void) {
    this.sources = [...sources];
    this.options = options;
    this.onChange = onChange;
    this.onError = onError;
    this.now = options.now ?? Date.now;
    this.fingerprint = JSON.stringify(initial);
    // The startup load counts as the latest: an unknown kid right after it waits `minGapMs` too.
    this.lastStart = this.now();
  }

  /** Start the periodic reloads (the timer does not keep the process alive). */
  start(): this {
    if (this.options.intervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  /** Reload now (or join the reload under way); true when the keys changed. Never rejects. */
  refresh(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    this.lastStart = this.now();
    const run = loadTrustedJwkSets(this.sources, this.options).then(
      (keys) => {
        const fingerprint = JSON.stringify(keys);
        if (fingerprint === this.fingerprint) return false;
        this.fingerprint = fingerprint;
        this.onChange(keys);
        return true;
      },
      (err: unknown) => {
        this.onError(err as Error);
        return false;
      },
    );
    this.inFlight = run.finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Reload unless one started less than `minGapMs` ago; true when the keys changed. Never rejects. */
  refreshIfDue(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    if (this.now() - this.lastStart < (this.options.minGapMs ?? 30_000)) return Promise.resolve(false);
    return this.refresh();
  }

  /** Stop the periodic reloads; a reload under way still finishes. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
