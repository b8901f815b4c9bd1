/**
 * Regex ACLs for the admin API (upstream `regex_acl`): the first entry whose role equals the
 * token's role and whose regex matches the request path plus query string allows the request.
 * @module
 */
import { ConfigError } from '../../core/index.js';
import type { AclEntry } from './types.js';

export interface CompiledAcl {
  role: string;
  pattern: RegExp;
  source: string;
}

/**
 * Compile and validate ACL entries. Each regex must start with `^/kbs` and end with `$` (so an
 * entry can never match outside the KBS API or by substring); throws `ConfigError` otherwise.
 */
export function compileAcls(acls: readonly AclEntry[], where = 'admin.authorization.regex_acl.acls'): CompiledAcl[] {
  return acls.map((a, i) => {
    const key = `${where}[${i}].allowed_endpoints`;
    if (!a.role) throw new ConfigError(`${where}[${i}].role must be a non-empty string`, { key: `${where}[${i}].role` });
    if (!a.allowedEndpoints.startsWith('^/kbs') || !a.allowedEndpoints.endsWith('$') || a.allowedEndpoints.endsWith('\\$')) {
      throw new ConfigError(`${key} must start with "^/kbs" and end with "$" (got ${JSON.stringify(a.allowedEndpoints)})`, { key });
    }
    try {
      return { role: a.role, pattern: new RegExp(a.allowedEndpoints, 'u'), source: a.allowedEndpoints };
    } catch (cause) {
      throw new ConfigError(`${key} is not a valid regular expression: ${(cause as Error).message}`, { key, cause });
    }
  });
}

/** True when some entry for `role` matches `pathWithQuery`. */
export function aclAllows(acls: readonly CompiledAcl[], role: string, pathWithQuery: string): boolean {
  return acls.some((a) => a.role === role && a.pattern.test(pathWithQuery));
}
