/**
 * The smallest admin check, for embedding and demos: the request must carry
 * `Authorization: Bearer <JWT>` signed with one known public key (EdDSA, ES256 or RS256), with a
 * live `exp`. Deployments use `trustee/admin` (identity providers and regex ACLs) instead.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { Unauthorized } from '../../core/index.js';
import { TokenVerifier } from '../as/token-verifier.js';
import type { AdminHooks } from './admin-hooks.js';

export function bearerKeyAdmin(publicKey: KeyObject, now: () => Date = () => new Date()): AdminHooks {
  const verifier = new TokenVerifier({ trustedKeys: [publicKey] });
  return {
    async authorize(_method, _path, headers) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
      if (!m) throw new Unauthorized('admin bearer token required');
      let claims: Record<string, unknown>;
      try {
        claims = verifier.verifyWithKey(m[1]!, publicKey, now());
      } catch (cause) {
        throw new Unauthorized(`admin token refused: ${(cause as Error).message}`, { cause });
      }
      return { name: typeof claims.sub === 'string' ? claims.sub : 'admin' };
    },
  };
}
