/**
 * Admin API configuration (upstream v0.21 `[admin]`): how the bearer JWT is authenticated and which
 * role may reach which endpoints.
 * @module
 */

/** One identity provider: a PEM public key file or a JWK set file; optional `iss`/`aud` checks. */
export interface IdentityProvider {
  issuer?: string;
  audience?: string;
  /** Path (or `file://` URI) of a PEM public key: Ed25519, EC or RSA. */
  publicKeyUri?: string;
  /** Path (or `file://` URI) of a JWK set JSON, or an `https://` URL fetched at first use. */
  jwkSetUri?: string;
  /**
   * Legacy configs (≤ v0.20) minted tokens without a `role` claim; such a provider grants this role
   * to tokens without one. Never set for current-format configs.
   */
  legacyRole?: string;
}

/** A role and the regex (anchored `^/kbs...$`) of path+query it may access. */
export interface AclEntry {
  role: string;
  allowedEndpoints: string;
}

export type AdminConfig =
  | { mode: 'DenyAll' }
  | { mode: 'InsecureAllowAll' }
  | { mode: 'AuthenticatedAuthorization'; identityProviders: IdentityProvider[]; acls: AclEntry[] };

/** Who the admin request was authorised as. */
export interface AdminIdentity {
  subject: string;
  role: string;
}

export type HeaderBag = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export interface AdminAuthorizer {
  readonly mode: AdminConfig['mode'];
  /** Resolves who is calling, or throws `Unauthorized` with the reason. */
  authorize(method: string, pathWithQuery: string, headers: HeaderBag): Promise<AdminIdentity>;
}
