/**
 * The KBS HTTP API (reference/trustee.md §1.1–1.2): dispatch on `/kbs/v0/<name>/...`, decode bodies,
 * set cookies, write audit records and request ids. Handlers live in auth/attest/resource/admin-api;
 * error bodies come only from `error-response.ts`.
 * @module
 */
import { performance } from 'node:perf_hooks';
import {
  LimitExceeded,
  PolicyDenied,
  Unauthorized,
  VerificationFailed,
  fromUtf8,
  isCocoError,
  parseJsonText,
} from '../../core/index.js';
import { attestRequestIdOf } from '../as/attestation-service.js';
import { checkOf, withCheck, withDefaultCheck } from '../check-tag.js';
import { formatSetCookie, parseCookies } from '../http/cookies.js';
import { REQUEST_ID_HEADER, newRequestId } from '../http/request-id.js';
import type { HttpHandler, HttpRequest, HttpResponse } from '../http/types.js';
import * as adminApi from './admin-api.js';
import { handleAttest } from './attest.js';
import { attestAuditFields, auditFieldsOf } from './audit-explain.js';
import type { AuditRecord, AuditRoute } from './audit.js';
import { handleAuth } from './auth.js';
import type { KbsContext } from './context.js';
import { errorResponse, toWireError, type ErrorRoute } from './error-response.js';
import { attestedPluginCall, type KbsPlugin, type PluginRequest } from './plugins.js';
import { handleResourceGet } from './resource.js';
import { SESSION_COOKIE } from './session.js';

const PREFIX = '/kbs/v0/';

interface Call {
  req: HttpRequest;
  requestId: string;
  path: string;
  name: string;
  rest: string[];
  query: Record<string, string>;
  pathWithQuery: string;
  now: Date;
  bodyLimit: number;
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(value),
});
const text = (status: number, body: string, type = 'text/plain; charset=utf-8'): HttpResponse => ({ status, headers: { 'content-type': type }, body });
const empty = (): HttpResponse => ({ status: 200, headers: {}, body: '' });

function jsonBody(call: Call): unknown {
  if (call.req.bodyTooLarge || call.req.body.length > call.bodyLimit) {
    throw withCheck(new LimitExceeded(`request body is larger than ${call.bodyLimit} bytes`), 'kbs.request.too_large');
  }
  try {
    return parseJsonText(fromUtf8(call.req.body, 'body'), 'body');
  } catch (err) {
    throw withCheck(err as Error, 'kbs.request.malformed');
  }
}

function rawBody(call: Call): Uint8Array {
  if (call.req.bodyTooLarge || call.req.body.length > call.bodyLimit) {
    throw withCheck(new LimitExceeded(`request body is larger than ${call.bodyLimit} bytes`), 'kbs.request.too_large');
  }
  return call.req.body;
}

function outcomeOf(err: unknown): 'denied' | 'error' {
  return err instanceof PolicyDenied || err instanceof VerificationFailed || err instanceof Unauthorized ? 'denied' : 'error';
}

function sessionCookie(call: Call): string | undefined {
  return parseCookies(call.req.headers.cookie).get(SESSION_COOKIE);
}

export interface KbsAppOptions {
  bodyLimit: number;
  /** Also audit successful attestations and releases (each is a durable write). Failures are always audited. */
  auditSuccesses?: boolean;
}

export function createKbsApp(ctx: KbsContext, options: KbsAppOptions): HttpHandler {
  const audit = (call: Call, route: AuditRoute, fields: Omit<AuditRecord, 'time' | 'requestId' | 'route'>) =>
    ctx.audit.record({ time: call.now.toISOString(), requestId: call.requestId, route, ...fields });

  /** Run a handler; on failure map the error, audit it and answer the wire error. */
  async function guarded(call: Call, route: ErrorRoute, auditRoute: AuditRoute | undefined, extra: Partial<AuditRecord>, fn: () => Promise<HttpResponse>): Promise<HttpResponse> {
    try {
      return await fn();
    } catch (err) {
      const wire = toWireError(err, route, ctx.settings.verboseErrors);
      if (auditRoute) {
        const detail = isCocoError(err) ? err.message : 'internal error';
        await audit(call, auditRoute, { outcome: outcomeOf(err), status: wire.status, check: checkOf(err, `kbs.${route}`), detail, ...extra, ...auditFieldsOf(err) });
      }
      return errorResponse(wire, call.requestId);
    }
  }

  /** Admin endpoints: authorize first (AdminAuthAccess on failure), then run. */
  async function admin(call: Call, route: ErrorRoute, fn: (identity: string) => Promise<HttpResponse>): Promise<HttpResponse> {
    let identity: string;
    try {
      identity = (await ctx.admin.authorize(call.req.method, call.pathWithQuery, call.req.headers)).name;
    } catch (err) {
      const wire = toWireError(err, 'admin-auth');
      await audit(call, 'admin', { outcome: 'denied', status: wire.status, check: 'kbs.admin.authorize', detail: `${call.req.method} ${call.path}: ${(err as Error).message}` });
      return errorResponse(wire, call.requestId);
    }
    return guarded(call, route, 'admin', { admin: identity }, () => fn(identity));
  }

  async function auth(call: Call): Promise<HttpResponse> {
    return guarded(call, 'auth', 'auth', {}, async () => {
      let ok = false;
      try {
        const s = await handleAuth(ctx, jsonBody(call), call.now);
        ok = true;
        return json(200, s.challenge, { 'set-cookie': formatSetCookie(SESSION_COOKIE, s.id, new Date(s.expiresAt)) });
      } finally {
        ctx.metrics.auth(ok);
      }
    });
  }

  async function attest(call: Call): Promise<HttpResponse> {
    const sid = sessionCookie(call);
    const extra: Partial<AuditRecord> = sid ? { session: sid.slice(0, 8) } : {};
    const t0 = performance.now();
    let tee = 'unknown';
    return guarded(call, 'attest', 'attest', extra, async () => {
      try {
        const r = await handleAttest(ctx, sid, jsonBody(call), call.now, call.requestId);
        tee = r.session.state === 'attested' ? r.session.tee : tee;
        ctx.metrics.attestation(tee, true, (performance.now() - t0) / 1000);
        // Successful attestations are recorded when they carry notes (e.g. withheld expired
        // reference values) or when every success is to be audited.
        // A token that does not name its attest request (one from a remote AS or ITA) is remembered here.
        if (r.outcome && attestRequestIdOf(r.outcome.claims) === undefined) ctx.audit.noteAttestation(r.token, { requestId: call.requestId, ...extra });
        if (r.outcome && (r.outcome.notes.length > 0 || r.outcome.explanations.length > 0 || options.auditSuccesses)) {
          const rec: Omit<AuditRecord, 'time' | 'requestId' | 'route'> = {
            outcome: 'ok', status: 200, check: 'kbs.attest', detail: 'attested', tee, ...extra,
            ...attestAuditFields(r.token, r.outcome.claims, r.outcome.explanations),
          };
          if (r.outcome.notes.length) rec.notes = r.outcome.notes;
          await audit(call, 'attest', rec);
        }
        return json(200, { token: r.token }, { 'set-cookie': formatSetCookie(SESSION_COOKIE, r.session.id, new Date(r.session.expiresAt)) });
      } catch (err) {
        ctx.metrics.attestation(tee, false, (performance.now() - t0) / 1000);
        throw err;
      }
    });
  }

  async function resource(call: Call): Promise<HttpResponse> {
    const m = call.req.method;
    if (m === 'GET' && call.rest.length === 0) return admin(call, 'resource', async () => json(200, await ctx.resources.list()));
    const resourcePath = call.rest.join('/');
    if (m === 'GET') {
      return guarded(call, 'resource', 'resource', { resource: resourcePath }, async () => {
        const r = await handleResourceGet(
          ctx,
          { sessionId: sessionCookie(call), authorization: call.req.headers.authorization, segments: call.rest, query: call.query },
          call.now,
        );
        if (options.auditSuccesses) await audit(call, 'resource', { outcome: 'ok', status: 200, check: 'kbs.resource.release', detail: 'released', resource: resourcePath });
        return json(200, r.jwe);
      });
    }
    if (m === 'POST') return admin(call, 'resource', async () => (await adminApi.writeResource(ctx, call.rest, rawBody(call)), { ...empty(), headers: { 'content-type': 'text/xml' } }));
    if (m === 'DELETE') return admin(call, 'resource', async () => (await adminApi.deleteResource(ctx, call.rest), empty()));
    return pluginNotFound(call);
  }

  /** `/kbs/v0/<plugin>/...` for the plugins of `ctx.plugins` (see `plugins.ts`). */
  async function plugin(call: Call, p: KbsPlugin): Promise<HttpResponse> {
    const what = { resource: `${call.name}/${call.rest.join('/')}`.slice(0, 300) };
    // Which authorization the call needs: the plugin decides (a failure here is answered and audited).
    let asked: { req: PluginRequest; admin: boolean } | undefined;
    const failed = await guarded(call, 'resource', 'resource', what, async () => {
      const req = { body: rawBody(call), query: call.query, path: call.rest, method: call.req.method };
      try {
        asked = { req, admin: await p.validateAuth(req) };
      } catch (err) {
        throw withDefaultCheck(err as Error, `kbs.plugin.${call.name}`);
      }
      return empty();
    });
    if (!asked) return failed;
    const r = asked.req;
    const bytes = (body: Uint8Array): HttpResponse => ({ status: 200, headers: { 'content-type': 'text/xml' }, body });
    if (asked.admin) {
      return admin(call, 'resource', async () => {
        try {
          return bytes(await p.handle(r));
        } catch (err) {
          throw withDefaultCheck(err as Error, `kbs.plugin.${call.name}`);
        }
      });
    }
    return guarded(call, 'resource', 'resource', what, async () => {
      const answer = await attestedPluginCall(ctx, call.name, p, r, { sessionId: sessionCookie(call), authorization: call.req.headers.authorization }, call.now);
      if (options.auditSuccesses) await audit(call, 'resource', { outcome: 'ok', status: 200, check: `kbs.plugin.${call.name}`, detail: 'answered', ...what });
      return 'jwe' in answer ? json(200, answer.jwe) : bytes(answer.body);
    });
  }

  function pluginNotFound(call: Call): HttpResponse {
    const wire = { ...toWireError(undefined, 'plugin'), detail: `plugin ${call.name.slice(0, 100)} not found for ${call.req.method}` };
    return errorResponse(wire, call.requestId);
  }

  async function dispatch(call: Call): Promise<HttpResponse> {
    const { method } = call.req;
    switch (`${method} ${call.name}`) {
      case 'POST auth':
        return auth(call);
      case 'POST attest':
        return attest(call);
      case 'GET resource':
      case 'POST resource':
      case 'DELETE resource':
        return resource(call);
      case 'POST attestation-policy':
        return admin(call, 'attestation-policy', async () => (await adminApi.setAttestationPolicy(ctx, jsonBody(call)), empty()));
      case 'GET attestation-policy':
        return admin(call, 'attestation-policy', async () =>
          call.rest.length === 0 ? json(200, await ctx.asPolicies.list()) : text(200, await adminApi.getAttestationPolicy(ctx, call.rest.join('/'))),
        );
      case 'POST resource-policy':
        return admin(call, 'resource-policy', async () => (await adminApi.setResourcePolicy(ctx, jsonBody(call)), empty()));
      case 'GET resource-policy':
        return admin(call, 'resource-policy', async () =>
          call.query.format === 'rego' ? text(200, await adminApi.getResourcePolicyText(ctx)) : json(200, await ctx.resourcePolicy.list()),
        );
      case 'POST reference-value':
        return admin(call, 'reference-value', async () => (await adminApi.registerReferenceValue(ctx, jsonBody(call)), { ...empty(), headers: { 'content-type': 'application/json' } }));
      case 'GET reference-value':
        return admin(call, 'reference-value', async () =>
          call.rest.length === 0 ? json(200, await ctx.rvps.list()) : json(200, await adminApi.getReferenceValue(ctx, call.rest.join('/'))),
        );
      case 'GET audit':
        return admin(call, 'audit', async () => json(200, await adminApi.readAudit(ctx, call.query)));
      default: {
        const p = ctx.plugins.get(call.name);
        return p ? plugin(call, p) : pluginNotFound(call);
      }
    }
  }

  /** `GET /metrics`; in a cluster the whole server's numbers, or a 503 when a worker is silent. */
  async function metrics(requestId: string): Promise<HttpResponse> {
    try {
      return text(200, await ctx.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8');
    } catch (err) {
      return errorResponse(toWireError(err, 'metrics'), requestId);
    }
  }

  return async function kbs(req: HttpRequest): Promise<HttpResponse> {
    const t0 = performance.now();
    const requestId = newRequestId();
    const q = req.url.indexOf('?');
    const path = q < 0 ? req.url : req.url.slice(0, q);
    const query: Record<string, string> = {};
    if (q >= 0) for (const [k, v] of new URLSearchParams(req.url.slice(q + 1))) if (!(k in query)) query[k] = v;
    let res: HttpResponse;
    let route = 'other';
    if (path === '/healthz' || path === '/metrics') {
      if (req.method !== 'GET') res = { status: 405, headers: { allow: 'GET' }, body: '' };
      else res = path === '/healthz' ? empty() : await metrics(requestId);
    } else if (!path.startsWith(PREFIX) || path.length === PREFIX.length) {
      res = errorResponse({ ...toWireError(undefined, 'path'), detail: `invalid request path ${path.slice(0, 200)}` }, requestId);
    } else {
      const [name, ...rest] = path.slice(PREFIX.length).split('/');
      route = name!;
      res = await dispatch({ req, requestId, path, name: name!, rest, query, pathWithQuery: req.url, now: ctx.now(), bodyLimit: options.bodyLimit });
    }
    res.headers[REQUEST_ID_HEADER] = requestId;
    if (path.startsWith('/kbs')) {
      const size = typeof res.body === 'string' ? Buffer.byteLength(res.body) : res.body.length;
      ctx.metrics.request(route, req.method, res.status, (performance.now() - t0) / 1000, req.body.length, size);
    }
    return res;
  };
}
