/**
 * Cookie header parsing and `Set-Cookie` formatting (RFC 6265 §4.1/§5.4), just enough for the
 * `kbs-session-id` cookie.
 * @module
 */
import { httpDateFormatter } from '../../protocol/index.js';

/** Consecutive cookies mostly expire in the same second. */
const expiryDate = httpDateFormatter();

/** Parse a `Cookie` header into name → first value. Malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

/** `name=value; Expires=<IMF-fixdate>` as upstream KBS sends it (no Path/HttpOnly/Max-Age). */
export function formatSetCookie(name: string, value: string, expires: Date): string {
  return `${name}=${value}; Expires=${expiryDate(expires.getTime())}`;
}
