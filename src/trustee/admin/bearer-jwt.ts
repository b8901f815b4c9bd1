/**
 * Bearer-JWT authentication of admin requests (upstream `bearer_jwt`): each identity provider is
 * tried in order; its PEM key or JWK set must verify the signature, `exp` is required, `iss`/`aud`
 * are checked when configured, and the `role` claim (a string) is required.
 * @module
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, Unauthorized, VerificationFailed, jwtKeyFromJwks, jwtKeyFromPem, verifyJwt, type JwtKey } from '../../core/index.js';
import type { AdminIdentity, IdentityProvider } from './types.js';

/** Leeway on `exp`/`nbf`, as upstream's jsonwebtoken default. */
export const CLOCK_LEEWAY_SEC = 60;
const REMOTE_JWKS_TTL_MS = 5 * 60_000;

export interface BearerJwtOptions {
  now?: () => number;
  /** Used for `https://` JWK set URIs only. */
  fetch?: typeof globalThis.fetch;
}

interface Provider {
  config: IdentityProvider;
  key: () => Promise<JwtKey>;
}

function localPath(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : uri;
}

function readKeyFile(uri: string, key: string): string {
  try {
    return readFileSync(localPath(uri), 'utf8');
  } catch (cause) {
    throw new ConfigError(`${key}: cannot read ${uri}: ${(cause as Error).message}`, { key, cause });
  }
}

function loadProvider(p: IdentityProvider, i: number, options: BearerJwtOptions): Provider {
  const where = `admin.authentication.bearer_jwt.identity_providers[${i}]`;
  if ((p.publicKeyUri === undefined) === (p.jwkSetUri === undefined)) {
    throw new ConfigError(`${where}: set exactly one of public_key_uri and jwk_set_uri`, { key: where });
  }
  try {
    if (p.publicKeyUri !== undefined) {
      const key = jwtKeyFromPem(readKeyFile(p.publicKeyUri, `${where}.public_key_uri`));
      return { config: p, key: async () => key };
    }
    const uri = p.jwkSetUri!;
    if (/^https?:\/\//.test(uri)) return { config: p, key: remoteJwks(uri, options) };
    const key = jwtKeyFromJwks(JSON.parse(readKeyFile(uri, `${where}.jwk_set_uri`)));
    return { config: p, key: async () => key };
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    throw new ConfigError(`${where}: invalid key material: ${(cause as Error).message}`, { key: where, cause });
  }
}

function remoteJwks(uri: string, options: BearerJwtOptions): () => Promise<JwtKey> {
  let cached: { key: JwtKey; at: number } | undefined;
  const now = options.now ?? Date.now;
  return async () => {
    if (cached && now() - cached.at < REMOTE_JWKS_TTL_MS) return cached.key;
    const f = options.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await f(uri, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    } catch (cause) {
      throw new Unauthorized(`cannot fetch the JWK set ${uri}: ${(cause as Error).message}`, { cause });
    }
    if (!res.ok) throw new Unauthorized(`cannot fetch the JWK set ${uri}: HTTP ${res.status}`);
    cached = { key: jwtKeyFromJwks(await res.json()), at: now() };
    return cached.key;
  };
}

/** Build the verifier; reads key files now so a bad path fails at startup with `ConfigError`. */
export function createBearerJwtVerifier(providers: readonly IdentityProvider[], options: BearerJwtOptions = {}) {
  const loaded = providers.map((p, i) => loadProvider(p, i, options));
  const now = options.now ?? Date.now;
  return {
    /** Verify `token`; resolves the caller's identity or throws `Unauthorized` with the reason. */
    async verify(token: string): Promise<AdminIdentity> {
      if (loaded.length === 0) throw new Unauthorized('no identity provider is configured');
      let reason = 'token rejected';
      for (const p of loaded) {
        try {
          const { payload } = await verifyJwt(token, await p.key(), {
            now: now(),
            clockToleranceSec: CLOCK_LEEWAY_SEC,
            requiredClaims: ['exp'],
            ...(p.config.issuer !== undefined ? { issuer: p.config.issuer } : {}),
            ...(p.config.audience !== undefined ? { audience: p.config.audience } : {}),
          });
          const role = payload.role ?? p.config.legacyRole;
          if (typeof role !== 'string' || role === '') throw new Unauthorized('token has no string "role" claim');
          const subject = typeof payload.sub === 'string' ? payload.sub : typeof payload.iss === 'string' ? payload.iss : 'unknown';
          return { subject, role };
        } catch (e) {
          if (e instanceof VerificationFailed) reason = `${e.message} (${e.check})`;
          else if (e instanceof Unauthorized) reason = e.message;
          else throw e;
        }
      }
      throw new Unauthorized(`admin token rejected: ${reason}`);
    },
  };
}
