/**
 * The in-guest REST API (upstream api-server-rest, reference/guest-components.md §4,
 * fixture guest/api-server-rest-openapi.json): `/info`, `/cdh/resource/<repo>/<type>/<tag>`,
 * `/aa/token`, `/aa/evidence`, `/aa/additional-evidence`, `/aa/aael`. Requests from a non-loopback
 * peer get 403. The handler takes the peer address as an argument so it is testable without sockets.
 * @module
 */
import { fromBase64Url, fromUtf8, isCocoError, isLoopbackAddress, parseJsonText, expectObject, expectString, utf8 } from '../../core/index.js';
import { parseResourcePath } from '../../protocol/index.js';
import type { MeasureResult } from '../aael.js';

export type ApiFeatures = 'resource' | 'attestation' | 'all';

/** What the routes call; `serve.ts` wires the AA and CDH in. */
export interface GuestApiBackend {
  version: string;
  tee: string;
  additionalTees: readonly string[];
  features: ApiFeatures;
  getResource(uri: string): Promise<Uint8Array>;
  getToken(tokenType: string): Promise<Uint8Array>;
  getEvidence(runtimeData: Uint8Array): Promise<Uint8Array>;
  getAdditionalEvidence(runtimeData: Uint8Array): Promise<Uint8Array>;
  extendRuntimeMeasurement(domain: string, operation: string, content: string): Promise<MeasureResult>;
}

export interface ApiRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  remoteAddress: string | undefined;
  body: Uint8Array;
}

export interface ApiResponse {
  status: number;
  contentType: string;
  body: Uint8Array;
}

const text = (status: number, msg: string): ApiResponse => ({ status, contentType: 'text/plain', body: utf8(msg) });
const octets = (body: Uint8Array): ApiResponse => ({ status: 200, contentType: 'application/octet-stream', body });
const json = (v: unknown): ApiResponse => ({ status: 200, contentType: 'application/json', body: utf8(JSON.stringify(v)) });


function runtimeDataOf(q: URLSearchParams): Uint8Array | ApiResponse {
  const raw = q.get('runtime_data');
  if (raw === null) return text(400, 'BAD REQUEST');
  const enc = q.get('encoding');
  if (enc === null) return utf8(raw);
  if (enc !== 'base64') return text(400, 'BAD REQUEST');
  try {
    return fromBase64Url(raw, 'runtime_data');
  } catch {
    return text(400, 'BAD REQUEST');
  }
}

async function backendCall(f: () => Promise<ApiResponse>): Promise<ApiResponse> {
  try {
    return await f();
  } catch (err) {
    // One line, no stack: the reason reaches the workload, secrets never do (errors carry none).
    return text(500, isCocoError(err) ? `${err.code}: ${err.message}` : 'internal error');
  }
}

async function aaRoute(path: string, req: ApiRequest, q: URLSearchParams, b: GuestApiBackend): Promise<ApiResponse> {
  if (path === '/aa/aael') {
    if (req.method !== 'POST') return text(405, 'Method Not Allowed');
    let domain: string, operation: string, content: string;
    try {
      const o = expectObject(parseJsonText(fromUtf8(req.body, 'body'), 'body'), 'body');
      [domain, operation, content] = [expectString(o.domain, 'domain'), expectString(o.operation, 'operation'), expectString(o.content, 'content')];
    } catch {
      return text(400, 'BAD REQUEST');
    }
    return backendCall(async () => {
      const r = await b.extendRuntimeMeasurement(domain, operation, content);
      if (r === 'ok') return json({ success: 'true' });
      const message = r === 'not-enabled' ? 'Attestation Agent does not enable eventlog recording' : 'The platform does not support runtime measurement';
      return json({ success: 'false', message });
    });
  }
  if (req.method !== 'GET') return text(405, 'Method Not Allowed');
  if (path === '/aa/token') {
    const t = q.get('token_type');
    if (t === null) return text(400, 'BAD REQUEST');
    return backendCall(async () => octets(await b.getToken(t)));
  }
  if (path === '/aa/evidence' || path === '/aa/additional-evidence') {
    const rd = runtimeDataOf(q);
    if (!(rd instanceof Uint8Array)) return rd;
    return backendCall(async () => octets(path === '/aa/evidence' ? await b.getEvidence(rd) : await b.getAdditionalEvidence(rd)));
  }
  return text(404, 'URL NOT FOUND');
}

/** Handle one request. */
export async function handleGuestApi(req: ApiRequest, b: GuestApiBackend): Promise<ApiResponse> {
  if (!isLoopbackAddress(req.remoteAddress)) return text(403, 'Forbidden');
  let u: URL;
  try {
    u = new URL(`http://127.0.0.1${req.url.startsWith('/') ? '' : '/'}${req.url}`);
  } catch {
    return text(400, 'BAD REQUEST');
  }
  const path = u.pathname;
  if (path === '/info') {
    if (req.method !== 'GET') return text(405, 'Method Not Allowed');
    const info: Record<string, unknown> = { version: b.version };
    if (b.features !== 'resource') {
      info.tee = b.tee;
      if (b.additionalTees.length > 0) info.additional_tees = b.additionalTees;
    }
    info.feature = b.features;
    return json(info);
  }
  if (path.startsWith('/cdh/')) {
    if (b.features === 'attestation') return text(404, 'Resource Feature Not Enabled');
    if (req.method !== 'GET') return text(405, 'Method Not Allowed');
    const m = /^\/cdh\/resource\/(.+)$/.exec(path);
    if (!m) return text(404, 'URL NOT FOUND');
    let segs: string[];
    try {
      segs = m[1]!.split('/').map((s) => decodeURIComponent(s));
      parseResourcePath(segs);
    } catch {
      return text(404, 'URL NOT FOUND');
    }
    return backendCall(async () => octets(await b.getResource(`kbs:///${segs.join('/')}`)));
  }
  if (path.startsWith('/aa/')) {
    if (b.features === 'resource') return text(404, 'Attestation Feature Not Enabled');
    return aaRoute(path, req, u.searchParams, b);
  }
  return text(404, 'URL NOT FOUND');
}
