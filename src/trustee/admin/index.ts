/**
 * Admin API authorisation: `createAdminAuthorizer(config)` for the KBS admin routes, plus admin key
 * generation and token minting for `coco admin` and `npm start`.
 * @module
 */
import { Unauthorized } from '../../core/index.js';
import { aclAllows, compileAcls } from './acl.js';
import { createBearerJwtVerifier, type BearerJwtOptions } from './bearer-jwt.js';
import type { AdminAuthorizer, AdminConfig, HeaderBag } from './types.js';

export type { AdminAuthorizer, AdminConfig, AdminIdentity, AclEntry, IdentityProvider, HeaderBag } from './types.js';
export { compileAcls } from './acl.js';
export { CLOCK_LEEWAY_SEC } from './bearer-jwt.js';
export {
  ensureAdminKeyPair,
  generateAdminKeyPair,
  mintAdminToken,
  readPem,
  ADMIN_PRIVATE_KEY_FILE,
  ADMIN_PUBLIC_KEY_FILE,
} from './keygen.js';
export type { AdminKeyPaths, MintOptions } from './keygen.js';

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(headers: HeaderBag): string | undefined {
  const m = /^Bearer[ ]+([A-Za-z0-9_\-.=]+)\s*$/i.exec(header(headers, 'authorization') ?? '');
  return m?.[1];
}

/**
 * Build the authoriser for the admin API from `[admin]`. `DenyAll` rejects every request;
 * `InsecureAllowAll` accepts every request (only by explicit config); `AuthenticatedAuthorization`
 * requires a bearer JWT whose `role` has an ACL entry matching the path plus query.
 * Throws `ConfigError` for unreadable keys or invalid ACL regexes; `authorize` throws `Unauthorized`.
 */
export function createAdminAuthorizer(config: AdminConfig, options: BearerJwtOptions = {}): AdminAuthorizer {
  switch (config.mode) {
    case 'DenyAll':
      return {
        mode: config.mode,
        authorize: async () => {
          throw new Unauthorized('the admin API is disabled (authorization_mode = "DenyAll")');
        },
      };
    case 'InsecureAllowAll':
      return { mode: config.mode, authorize: async () => ({ subject: 'anonymous', role: 'InsecureAllowAll' }) };
    case 'AuthenticatedAuthorization': {
      const acls = compileAcls(config.acls);
      const verifier = createBearerJwtVerifier(config.identityProviders, options);
      return {
        mode: config.mode,
        async authorize(method, pathWithQuery, headers) {
          const token = bearerToken(headers);
          if (!token) throw new Unauthorized('missing "Authorization: Bearer <token>" header');
          const identity = await verifier.verify(token);
          if (!aclAllows(acls, identity.role, pathWithQuery)) {
            throw new Unauthorized(`role "${identity.role}" may not ${method} ${pathWithQuery}`);
          }
          return identity;
        },
      };
    }
  }
}
