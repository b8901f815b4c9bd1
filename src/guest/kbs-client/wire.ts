/**
 * Reading KBS HTTP responses into typed values or the project's errors: 401 → `Unauthorized`,
 * 404 → `NotFound`, 5xx → `Unavailable`, unparsable bodies → `MalformedInput`. The upstream
 * `ErrorInformation` detail is kept in the message so a refusal is explained.
 * @module
 */
import {
  MalformedInput,
  NotFound,
  Unauthorized,
  Unavailable,
  expectObject,
  expectString,
  parseJsonText,
  type CocoError,
  type FlattenedJwe,
} from '../../core/index.js';

const MAX_DETAIL = 300;

/** Best-effort one-line reason from an upstream `{type, detail}` body (or the raw text). */
export function describeErrorBody(text: string): string {
  try {
    const o = JSON.parse(text) as { type?: unknown; detail?: unknown };
    if (typeof o.type === 'string') {
      const kind = o.type.split('/').pop() ?? o.type;
      return typeof o.detail === 'string' ? `${kind}: ${o.detail.slice(0, MAX_DETAIL)}` : kind;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, MAX_DETAIL).replace(/\s+/g, ' ').trim() || '(empty body)';
}

/** The error for a non-2xx KBS response. */
export function errorForStatus(status: number, text: string, what: string): CocoError {
  const reason = `${what}: HTTP ${status} ${describeErrorBody(text)}`;
  if (status === 401 || status === 403) return new Unauthorized(reason);
  if (status === 404) return new NotFound(reason);
  if (status >= 500 || status === 429) return new Unavailable(reason);
  return new MalformedInput(reason, { where: what });
}

/** Parse a JSON body or throw `MalformedInput` naming `what`. */
export function parseJsonBody(text: string, what: string): Record<string, unknown> {
  return expectObject(parseJsonText(text, what), what);
}

/** Parse a flattened JWE resource response. */
export function parseJweResponse(text: string): FlattenedJwe {
  const o = parseJsonBody(text, 'resource response');
  return {
    protected: expectString(o.protected, 'jwe.protected'),
    encrypted_key: expectString(o.encrypted_key, 'jwe.encrypted_key'),
    iv: expectString(o.iv, 'jwe.iv'),
    ciphertext: expectString(o.ciphertext, 'jwe.ciphertext'),
    tag: expectString(o.tag, 'jwe.tag'),
  };
}

/** `kbs-session-id` from a response's Set-Cookie headers, if any. */
export function sessionCookieOf(res: Response): string | undefined {
  const all = typeof res.headers.getSetCookie === 'function' ? res.headers.getSetCookie() : [res.headers.get('set-cookie') ?? ''];
  for (const line of all) {
    const m = /(?:^|[;,]\s*)kbs-session-id=([^;,\s]+)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Wrap a transport failure (connection refused, abort) as `Unavailable`. */
export function transportError(err: unknown, what: string): CocoError {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string' && (err as CocoError).code.startsWith('ERR_')) {
    return err as CocoError;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new Unavailable(`${what}: KBS unreachable (${msg})`, { cause: err });
}
