/**
 * `[admin]`: the current form (`authorization_mode` + `bearer_jwt` + `regex_acl`, upstream v0.21+)
 * and the two legacy forms (v0.16–v0.20 `type`/`personas`; ≤ v0.15 `auth_public_key`/`insecure_api`),
 * which are translated to the current model.
 * @module
 */
import { join } from 'node:path';
import { ConfigError } from '../../core/index.js';
import { ADMIN_PUBLIC_KEY_FILE, compileAcls, type AclEntry, type AdminConfig, type IdentityProvider } from '../admin/index.js';
import type { Section } from './reader.js';

/** Every endpoint under /kbs, for the single `admin` role of legacy configs and the embedded default. */
const ALL_KBS = '^/kbs/.+$';

/** The embedded default: bearer JWTs signed by the data dir's admin key, role `admin` may do everything. */
export function defaultAdminConfig(dataDir: string): AdminConfig {
  return {
    mode: 'AuthenticatedAuthorization',
    identityProviders: [{ publicKeyUri: join(dataDir, ADMIN_PUBLIC_KEY_FILE) }],
    acls: [{ role: 'admin', allowedEndpoints: ALL_KBS }],
  };
}

const MODES = { DenyAll: 'DenyAll', InsecureAllowAll: 'InsecureAllowAll', AuthenticatedAuthorization: 'AuthenticatedAuthorization' } as const;

function readCurrent(sec: Section): AdminConfig {
  const mode = sec.oneOf('authorization_mode', MODES);
  const authn = sec.section('authentication');
  const bearer = authn.section('bearer_jwt');
  const identityProviders: IdentityProvider[] = bearer.sections('identity_providers').map((p) => {
    const out: IdentityProvider = {};
    const issuer = p.optString('issuer');
    const audience = p.optString('audience');
    const publicKeyUri = p.optString('public_key_uri');
    const jwkSetUri = p.optString('jwk_set_uri');
    if (issuer !== undefined) out.issuer = issuer;
    if (audience !== undefined) out.audience = audience;
    if (publicKeyUri !== undefined) out.publicKeyUri = publicKeyUri;
    if (jwkSetUri !== undefined) out.jwkSetUri = jwkSetUri;
    if ((publicKeyUri === undefined) === (jwkSetUri === undefined)) {
      throw new ConfigError(`${p.path}: set exactly one of public_key_uri and jwk_set_uri`, { key: p.path });
    }
    p.done();
    return out;
  });
  const authz = sec.section('authorization');
  const regex = authz.section('regex_acl');
  const acls: AclEntry[] = regex.sections('acls').map((a) => {
    const entry = { role: a.string('role', ''), allowedEndpoints: a.string('allowed_endpoints', '') };
    a.done();
    return entry;
  });
  compileAcls(acls);
  for (const s of [bearer, authn, regex, authz, sec]) s.done();
  if (mode === 'AuthenticatedAuthorization') return { mode, identityProviders, acls };
  return { mode };
}

function legacyAuthenticated(keys: string[]): AdminConfig {
  return {
    mode: 'AuthenticatedAuthorization',
    identityProviders: keys.map((publicKeyUri) => ({ publicKeyUri, legacyRole: 'admin' })),
    acls: [{ role: 'admin', allowedEndpoints: ALL_KBS }],
  };
}

// v0.16 – v0.20: `type = "Simple" | "InsecureAllowAll" | "DenyAll"`, Simple with `personas`.
function readTyped(sec: Section): AdminConfig {
  const type = sec.oneOf('type', { Simple: 'Simple', InsecureAllowAll: 'InsecureAllowAll', DenyAll: 'DenyAll' } as const);
  const personas = sec.sections('personas').map((p) => {
    p.optString('id');
    const path = p.optString('public_key_path');
    if (!path) throw new ConfigError(`${p.path}.public_key_path is required`, { key: `${p.path}.public_key_path` });
    p.done();
    return path;
  });
  sec.done();
  if (type !== 'Simple') return { mode: type };
  return legacyAuthenticated(personas);
}

// ≤ v0.15: `auth_public_key` (Ed25519 PEM path) and `insecure_api`.
function readOldest(sec: Section): AdminConfig {
  const insecure = sec.bool('insecure_api', false);
  const key = sec.optString('auth_public_key');
  sec.done();
  if (insecure) return { mode: 'InsecureAllowAll' };
  return key ? legacyAuthenticated([key]) : { mode: 'DenyAll' };
}

/** Read `[admin]`; absent means the embedded default. */
export function readAdmin(sec: Section | undefined, dataDir: string): AdminConfig {
  if (!sec) return defaultAdminConfig(dataDir);
  const legacyTyped = sec.has('type') || sec.has('personas');
  const legacyOld = sec.has('auth_public_key') || sec.has('insecure_api');
  if ((legacyTyped || legacyOld) && sec.has('authorization_mode')) {
    throw new ConfigError('admin.authorization_mode: do not mix it with the legacy keys type/personas/auth_public_key/insecure_api', { key: 'admin.authorization_mode' });
  }
  if (legacyTyped) return readTyped(sec);
  if (legacyOld) return readOldest(sec);
  return readCurrent(sec);
}
