/**
 * A small HTTPS server on 127.0.0.1 (port 0) whose answers tests set per path, counting the
 * requests each path received. Certificates come from `makeTestCa()` (openssl CLI).
 * @module
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface HttpsRoutes {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  route(path: string, handler: RouteHandler): void;
  /** How many requests `path` received. */
  hits(path: string): number;
  /** Headers of the last request to `path`. */
  lastHeaders(path: string): IncomingMessage['headers'] | undefined;
  close(): Promise<void>;
}

/** A handler answering `status` with `body` (objects as JSON), with a Content-Length. */
export function answer(status: number, body: unknown, headers: Record<string, string> = {}): RouteHandler {
  return (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
}

export async function startHttpsRoutes(tls: { certPem: string; keyPem: string }): Promise<HttpsRoutes> {
  const routes = new Map<string, RouteHandler>();
  const hits = new Map<string, number>();
  const headers = new Map<string, IncomingMessage['headers']>();
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    headers.set(path, req.headers);
    const h = routes.get(path);
    if (h) h(req, res);
    else answer(404, 'not found')(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    route: (path, handler) => void routes.set(path, handler),
    hits: (path) => hits.get(path) ?? 0,
    lastHeaders: (path) => headers.get(path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
