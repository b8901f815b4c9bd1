/**
 * The admin-authorization seam. `trustee/admin/` implements bearer-JWT authentication with regex
 * ACLs; the KBS only asks "may this request go through?".
 * @module
 */
import { Unauthorized } from '../../core/index.js';

export interface AdminIdentity {
  /** Subject or role name, for audit records. Never a token. */
  name: string;
}

export interface AdminHooks {
  /**
   * Resolve the admin identity of a request, or throw `Unauthorized`.
   * `pathWithQuery` is the raw request target (`/kbs/v0/resource/a/b/c?x=1`), as upstream ACLs match it.
   */
  authorize(method: string, pathWithQuery: string, headers: Record<string, string | undefined>): Promise<AdminIdentity>;
}

/** Upstream `InsecureAllowAll`: every admin request is allowed. Development only. */
export const insecureAllowAllAdmin: AdminHooks = {
  async authorize() {
    return { name: 'insecure-allow-all' };
  },
};

/** Upstream `DenyAll`. */
export const denyAllAdmin: AdminHooks = {
  async authorize() {
    throw new Unauthorized('admin API is disabled (DenyAll)');
  },
};
