/**
 * An in-process fake KBS written from the wire spec (reference/trustee.md §1.3–1.6,
 * guest-components.md §2): sessions by `kbs-session-id` cookie, the runtime-data binding checked
 * through the project's verifiers, a JWE-wrapped resource per path, bearer tokens, and hooks to
 * misbehave. It records every request body so tests can check what the client sent.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { encryptJwe, fromBase64Url, fromUtf8, toBase64Url, utf8, type PublicJwk } from '../../src/core/index.js';
import {
  KBS_PROTOCOL_VERSION,
  errorInformation,
  parseAttestationRequest,
  parseAuthRequest,
  primaryRuntimeData,
  runtimeDataDigest,
  type KbsErrorVariant,
  type Tee,
} from '../../src/protocol/index.js';
import { createVerifier } from '../../src/verifier/index.js';

export interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Session {
  tee: Tee;
  nonce: string;
  pubkey?: PublicJwk;
  claims?: Record<string, unknown>;
}

export interface FakeKbsOptions {
  /** Resource bytes by `repo/type/tag`. */
  resources?: Record<string, Uint8Array>;
  /** Release policy; default: allow everything attested. */
  allow?: (path: string, claims: Record<string, unknown>) => boolean;
  /** Return a Response to override normal handling (misbehaviour injection). */
  intercept?: (req: FakeRequest, n: number) => Response | Promise<Response> | undefined;
  /** Token lifetime in seconds (default 300). */
  tokenSeconds?: number;
}

function problem(status: number, variant: KbsErrorVariant, detail: string): Response {
  return new Response(JSON.stringify(errorInformation(variant, detail)), { status, headers: { 'content-type': 'application/json' } });
}

export class FakeKbs {
  readonly requests: FakeRequest[] = [];
  readonly sessions = new Map<string, Session>();
  readonly resources: Record<string, Uint8Array>;
  readonly opts: FakeKbsOptions;
  initData: unknown[] = [];

  constructor(opts: FakeKbsOptions = {}) {
    this.opts = opts;
    this.resources = opts.resources ?? {};
  }

  /** The FetchLike a client can use directly. */
  readonly fetch = async (url: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> => {
    const u = new URL(url);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.headers)) headers[k.toLowerCase()] = v;
    return this.handle({ method: init.method, path: u.pathname + u.search, headers, body: init.body ?? '' });
  };

  async handle(req: FakeRequest): Promise<Response> {
    this.requests.push(req);
    const o = await this.opts.intercept?.(req, this.requests.length);
    if (o) return o;
    try {
      if (req.method === 'POST' && req.path === '/kbs/v0/auth') return this.auth(req);
      if (req.method === 'POST' && req.path === '/kbs/v0/attest') return await this.attest(req);
      const m = /^\/kbs\/v0\/resource\/([^?]+)/.exec(req.path);
      if (req.method === 'GET' && m) return this.resource(req, m[1]!);
      return problem(404, 'InvalidRequestPath', req.path);
    } catch (err) {
      return problem(401, 'AttestationError', (err as Error).message);
    }
  }

  private auth(req: FakeRequest): Response {
    const a = parseAuthRequest(JSON.parse(req.body));
    if (a.version !== KBS_PROTOCOL_VERSION) return problem(401, 'HTTPFailed', a.version);
    const id = toBase64Url(randomBytes(16));
    const nonce = randomBytes(32).toString('base64');
    this.sessions.set(id, { tee: a.tee, nonce });
    return new Response(JSON.stringify({ nonce, 'extra-params': '' }), {
      status: 200,
      headers: { 'content-type': 'application/json', 'set-cookie': `kbs-session-id=${id}; Expires=Wed, 21 Oct 2099 07:28:00 GMT` },
    });
  }

  private sessionOf(req: FakeRequest): [string, Session] | undefined {
    const m = /kbs-session-id=([^;\s]+)/.exec(req.headers.cookie ?? '');
    const s = m ? this.sessions.get(m[1]!) : undefined;
    return m && s ? [m[1]!, s] : undefined;
  }

  private async attest(req: FakeRequest): Promise<Response> {
    const found = this.sessionOf(req);
    if (!found) return problem(401, 'TokenNotFound', 'no session');
    const [, s] = found;
    const a = parseAttestationRequest(JSON.parse(req.body));
    this.initData.push((JSON.parse(req.body) as Record<string, unknown>)['init-data']);
    if (a['runtime-data'].nonce !== s.nonce) return problem(401, 'AttestationError', 'nonce mismatch');
    const rd = runtimeDataDigest(primaryRuntimeData(s.nonce, a['runtime-data']['tee-pubkey'], a['tee-evidence'].additional_evidence), 'sha384');
    const result = await createVerifier(s.tee).evaluate(a['tee-evidence'].primary_evidence, { reportData: rd }, new Date());
    s.pubkey = a['runtime-data']['tee-pubkey'] as PublicJwk;
    s.claims = result.claims;
    const now = Math.floor(Date.now() / 1000);
    const payload = { exp: now + (this.opts.tokenSeconds ?? 300), iat: now, 'tee-pubkey': s.pubkey, claims: result.claims };
    const token = `${toBase64Url(utf8('{"alg":"none"}'))}.${toBase64Url(utf8(JSON.stringify(payload)))}.fake`;
    return new Response(JSON.stringify({ token }), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  private resource(req: FakeRequest, path: string): Response {
    let pubkey: PublicJwk | undefined;
    let claims: Record<string, unknown> = {};
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (bearer) {
      const parts = bearer[1]!.split('.');
      const payload = JSON.parse(fromUtf8(fromBase64Url(parts[1] ?? ''))) as { exp: number; 'tee-pubkey': PublicJwk; claims: Record<string, unknown> };
      if (payload.exp * 1000 < Date.now()) return problem(401, 'TokenVerifierError', 'expired');
      pubkey = payload['tee-pubkey'];
      claims = payload.claims;
    } else {
      const s = this.sessionOf(req)?.[1];
      if (!s?.pubkey) return problem(401, 'TokenNotFound', 'session not attested');
      pubkey = s.pubkey;
      claims = s.claims ?? {};
    }
    if (this.opts.allow && !this.opts.allow(path, claims)) return problem(401, 'PolicyDeny', `policy denied ${path}`);
    const data = this.resources[path];
    if (!data) return problem(404, 'PluginInternalError', path);
    return new Response(JSON.stringify(encryptJwe(data, pubkey)), { status: 200, headers: { 'content-type': 'application/json' } });
  }

  /** Bodies of requests to a path, parsed as JSON. */
  bodies(path: string): unknown[] {
    return this.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body));
  }

  /** Serve over real HTTP on 127.0.0.1:0; returns the base URL and a close function. */
  async listen(): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        void this.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') }).then(async (r) => {
          const h: Record<string, string | string[]> = {};
          r.headers.forEach((v, k) => (h[k] = v));
          res.writeHead(r.status, h);
          res.end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${addr.port}`,
      server,
      close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
    };
  }
}
