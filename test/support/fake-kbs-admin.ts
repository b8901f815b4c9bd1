/**
 * A small stand-in for the KBS admin API, for CLI tests until the real server is merged: real
 * admin authorisation (`createAdminAuthorizer`) over a `MemoryStore`, upstream wire bodies and
 * upstream error shape (401 with `ErrorInformation` for almost everything). Records requests.
 * @module
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { fromBase64Url, fromUtf8 } from '../../src/core/index.js';
import { createAdminAuthorizer, MemoryStore, type AdminConfig } from '../../src/trustee/index.js';

export interface FakeKbs {
  url: string;
  store: MemoryStore;
  requests: { method: string; url: string; body: Uint8Array; authorization?: string }[];
  audit: Record<string, unknown>[];
  close(): Promise<void>;
}

const ERR = 'https://github.com/confidential-containers/kbs/errors/';

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function startFakeKbs(admin: AdminConfig): Promise<FakeKbs> {
  const auth = createAdminAuthorizer(admin);
  const store = new MemoryStore();
  const requests: FakeKbs['requests'] = [];
  const audit: Record<string, unknown>[] = [];
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = req.url ?? '/';
    requests.push({ method: req.method ?? '', url, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const fail = (status: number, variant: string, detail: string) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ type: ERR + variant, detail }));
    };
    const u = new URL(url, 'http://x');
    const path = u.pathname;
    try {
      await auth.authorize(req.method ?? 'GET', url, req.headers);
    } catch (e) {
      return fail(401, 'AdminAuthAccess', (e as Error).message);
    }
    const m = /^\/kbs\/v0\/(resource|resource-policy|attestation-policy|reference-value|audit)(?:\/(.*))?$/.exec(path);
    if (!m) return fail(404, 'PluginNotFound', `Plugin ${path} not found`);
    const [, what, rest] = m;
    const ok = (data: string | Uint8Array = '', type = 'application/json') => res.writeHead(200, { 'content-type': type }).end(data);
    if (what === 'resource' && !rest && req.method === 'GET') return ok(JSON.stringify(await store.list('repository')));
    if (what === 'resource' && rest) {
      if (req.method === 'POST') return (await store.set('repository', rest, body), ok('', 'text/xml'));
      if (req.method === 'GET') {
        const v = await store.get('repository', rest);
        return v ? ok(v, 'application/octet-stream') : fail(401, 'PluginInternalError', `resource ${rest} not found`);
      }
      if (req.method === 'DELETE') return (await store.delete('repository', rest)) ? ok() : fail(401, 'PluginInternalError', `resource ${rest} not found`);
    }
    if (what === 'resource-policy' && req.method === 'POST') {
      const { policy } = JSON.parse(fromUtf8(body)) as { policy: string };
      await store.set('kbs', 'resource-policy.rego', fromBase64Url(policy));
      return ok();
    }
    if (what === 'resource-policy' && req.method === 'GET') return ok(JSON.stringify(await store.list('kbs')));
    if (what === 'attestation-policy' && req.method === 'POST') {
      const { policy_id, policy } = JSON.parse(fromUtf8(body)) as { policy_id: string; policy: string };
      await store.set('attestation_service_policy', `${policy_id}.rego`, fromBase64Url(policy));
      return ok();
    }
    if (what === 'attestation-policy' && req.method === 'GET' && rest) {
      const v = await store.get('attestation_service_policy', `${rest}.rego`);
      return v ? ok(v, 'text/plain') : fail(401, 'PolicyEngineError', `policy ${rest} not found`);
    }
    if (what === 'reference-value' && req.method === 'POST') {
      const msg = JSON.parse(fromUtf8(body)) as { payload: string };
      const values = JSON.parse(Buffer.from(msg.payload, 'base64').toString('utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(values)) await store.set('reference_value', k, new TextEncoder().encode(JSON.stringify(v)));
      return ok();
    }
    if (what === 'reference-value' && req.method === 'GET' && rest) {
      const v = await store.get('reference_value', rest);
      return v ? ok(v) : fail(401, 'RvpsError', `reference value ${rest} not found`);
    }
    if (what === 'audit' && req.method === 'GET') {
      const limit = Number(u.searchParams.get('limit') ?? 100);
      const outcome = u.searchParams.get('outcome');
      return ok(JSON.stringify(audit.filter((r) => !outcome || r.outcome === outcome).slice(0, limit)));
    }
    return fail(404, 'InvalidRequestPath', `no route for ${req.method} ${path}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    requests,
    audit,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
