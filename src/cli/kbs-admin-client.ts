/**
 * HTTP client for the KBS admin API (reference/trustee.md §1.2, §1.10): resources, resource and
 * attestation policies (base64url without padding on the wire), reference values (RVPS messages)
 * and audit records. Errors: `Unauthorized` (401/403), `NotFound` (404 or a not-found variant),
 * `Unavailable` (network, 5xx), `MalformedInput` (unexpected response body), `CocoError` otherwise.
 * @module
 */
import { CocoError, MalformedInput, NotFound, Unauthorized, Unavailable, fromUtf8, toBase64Url, utf8 } from '../core/index.js';
import { errorVariantOf, formatResourcePath, parseResourcePath } from '../protocol/index.js';

export interface KbsAdminClientOptions {
  /** KBS base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Admin bearer token (JWT); omitted for `InsecureAllowAll` servers. */
  token?: () => Promise<string | undefined>;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

export interface AuditQuery {
  limit?: number;
  outcome?: 'success' | 'failure';
}

class RequestFailed extends CocoError {}

const NOT_FOUND_VARIANTS = new Set(['PluginNotFound', 'InvalidRequestPath']);
const SOFT_NOT_FOUND_VARIANTS = new Set(['PluginInternalError', 'RvpsError', 'NotFound']);

export function createKbsAdminClient(options: KbsAdminClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  const f = options.fetch ?? globalThis.fetch;

  async function call(method: string, path: string, body?: { json: unknown } | { bytes: Uint8Array }): Promise<Response> {
    const headers: Record<string, string> = {};
    const token = await options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: Uint8Array | string | undefined;
    if (body && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body) {
      headers['content-type'] = 'application/octet-stream';
      payload = body.bytes;
    }
    let res: Response;
    try {
      res = await f(`${base}/kbs/v0/${path}`, { method, headers, body: payload ?? null, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    } catch (cause) {
      throw new Unavailable(`cannot reach the KBS at ${base}: ${(cause as Error).message}`, { cause });
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    let detail = text.slice(0, 500);
    let variant: string | undefined;
    try {
      const info = JSON.parse(text) as { type?: unknown; detail?: unknown };
      variant = errorVariantOf(info);
      if (typeof info.detail === 'string') detail = info.detail;
    } catch {
      // not an ErrorInformation body; keep the text
    }
    const what = `${method} /kbs/v0/${path}: HTTP ${res.status}${variant ? ` ${variant}` : ''}${detail ? `: ${detail}` : ''}`;
    // Upstream answers 401 for a missing resource or reference value; its detail says so.
    const missing = variant !== undefined && SOFT_NOT_FOUND_VARIANTS.has(variant) && /not found|no such|does not exist/i.test(detail);
    if (res.status === 404 || (variant && NOT_FOUND_VARIANTS.has(variant)) || missing) throw new NotFound(what);
    if (res.status === 401 || res.status === 403) throw new Unauthorized(what);
    if (res.status >= 500) throw new Unavailable(what);
    throw new RequestFailed(what);
  }

  async function json(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new MalformedInput(`${what}: the KBS answered with invalid JSON`, { cause, where: what });
    }
  }

  const resourcePath = (p: string) => formatResourcePath(parseResourcePath(p));

  return {
    /** `POST /kbs/v0/resource/<repo>/<type>/<tag>` with the raw bytes. */
    async setResource(path: string, data: Uint8Array): Promise<void> {
      await call('POST', `resource/${resourcePath(path)}`, { bytes: data });
    },
    /** `GET /kbs/v0/resource/<path>` as admin; the server must answer with the plain bytes. */
    async getResource(path: string): Promise<Uint8Array> {
      const res = await call('GET', `resource/${resourcePath(path)}`);
      if ((res.headers.get('content-type') ?? '').includes('json')) {
        const body = (await json(res, 'resource')) as { protected?: unknown; ciphertext?: unknown };
        if (body && typeof body === 'object' && 'ciphertext' in body) {
          throw new MalformedInput('the KBS returned the resource JWE-encrypted (it only releases resources to attested guests)', { where: 'resource' });
        }
        return utf8(JSON.stringify(body));
      }
      return new Uint8Array(await res.arrayBuffer());
    },
    async deleteResource(path: string): Promise<void> {
      await call('DELETE', `resource/${resourcePath(path)}`);
    },
    /** `GET /kbs/v0/resource` (admin list): resource paths, sorted. */
    async listResources(): Promise<string[]> {
      const body = await json(await call('GET', 'resource'), 'resource list');
      const items = Array.isArray(body) ? body : (body as { resources?: unknown })?.resources;
      if (!Array.isArray(items)) throw new MalformedInput('resource list: expected a JSON array', { where: 'resource list' });
      return items
        .map((x) => {
          if (typeof x === 'string') return x;
          const o = x as { repository?: unknown; repository_name?: unknown; type?: unknown; tag?: unknown; path?: unknown };
          if (typeof o?.path === 'string') return o.path;
          const repo = o?.repository ?? o?.repository_name;
          if ([repo, o?.type, o?.tag].every((s) => typeof s === 'string')) return `${repo}/${o.type}/${o.tag}`;
          throw new MalformedInput('resource list: unexpected entry', { where: 'resource list' });
        })
        .sort();
    },
    /** `POST /kbs/v0/resource-policy` `{"policy": b64url-nopad(rego)}`. */
    async setResourcePolicy(rego: string): Promise<void> {
      await call('POST', 'resource-policy', { json: { policy: toBase64Url(utf8(rego)) } });
    },
    /** `GET /kbs/v0/resource-policy`: upstream answers the stored policy ids; some servers the rego text. */
    async getResourcePolicy(): Promise<unknown> {
      const res = await call('GET', 'resource-policy');
      const text = fromUtf8(new Uint8Array(await res.arrayBuffer()));
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
    /** `POST /kbs/v0/attestation-policy` `{"type","policy_id","policy": b64url-nopad(rego)}`. */
    async setAttestationPolicy(policyId: string, rego: string, type = 'rego'): Promise<void> {
      await call('POST', 'attestation-policy', { json: { type, policy_id: policyId, policy: toBase64Url(utf8(rego)) } });
    },
    /** `GET /kbs/v0/attestation-policy/<id>` (ours; upstream has no read endpoint). */
    async getAttestationPolicy(policyId: string): Promise<unknown> {
      if (!/^[A-Za-z0-9_.-]+$/.test(policyId)) throw new MalformedInput(`invalid policy id ${JSON.stringify(policyId)}`, { where: 'policy id' });
      const res = await call('GET', `attestation-policy/${policyId}`);
      const text = await res.text();
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
    /** `POST /kbs/v0/reference-value` with an RVPS message. */
    async setReferenceValue(message: unknown): Promise<void> {
      await call('POST', 'reference-value', { json: message });
    },
    /** `GET /kbs/v0/reference-value/<id>`. */
    async getReferenceValue(id: string): Promise<unknown> {
      if (!/^[A-Za-z0-9_.:/-]+$/.test(id) || id.split('/').includes('..')) throw new MalformedInput(`invalid reference value id ${JSON.stringify(id)}`, { where: 'id' });
      return json(await call('GET', `reference-value/${id}`), 'reference value');
    },
    /** `GET /kbs/v0/audit?limit=&outcome=` (ours): newest first. */
    async listAudit(query: AuditQuery = {}): Promise<Record<string, unknown>[]> {
      const qs = new URLSearchParams();
      if (query.limit !== undefined) qs.set('limit', String(query.limit));
      if (query.outcome) qs.set('outcome', query.outcome);
      const body = await json(await call('GET', `audit${qs.size ? `?${qs}` : ''}`), 'audit');
      const items = Array.isArray(body) ? body : (body as { records?: unknown })?.records;
      if (!Array.isArray(items) || items.some((x) => x === null || typeof x !== 'object')) {
        throw new MalformedInput('audit: expected a JSON array of records', { where: 'audit' });
      }
      return items as Record<string, unknown>[];
    },
  };
}

export type KbsAdminClient = ReturnType<typeof createKbsAdminClient>;
