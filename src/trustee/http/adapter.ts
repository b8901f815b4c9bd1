/**
 * Serves an `HttpHandler` over HTTP/1.1 or HTTPS: by default on Trustee's own server (`lean.ts`),
 * or on node:http / node:https (`engine: 'node'`). Either way requests wait for their turn
 * (`turns.ts`) and the body limit is enforced while reading (the rest of an oversized body is
 * drained, not buffered).
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { HttpHandler, HttpRequest } from './types.js';
import { Turns } from './turns.js';
import { LeanServer } from './lean.js';

export interface ListenOptions {
  host?: string;
  port?: number;
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  /** Serve HTTPS with these options (key, cert, versions, ciphers); plain HTTP when absent. */
  tls?: SecureContextOptions;
  /** Requests that go before the others waiting for their turn (see `Turns.turn`). */
  urgent?: (method: string, url: string) => boolean;
  /**
   * `lean` (default): Trustee's own HTTP/1.1 server (lean.ts); `node`: node:http. The environment
   * variable `COCO_HTTP_ENGINE=node` selects node:http where the option is not given.
   */
  engine?: 'lean' | 'node';
}

export interface Listening {
  readonly url: string;
  readonly port: number;
  /** The listening socket server (node:net, node:tls or node:http's). */
  readonly server: NetServer;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    let tooLarge = Number.isFinite(declared) && declared > limit;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    // A Buffer is a Uint8Array: hand the bytes over without another copy (one chunk is the usual case).
    req.on('end', () => resolve({ body: tooLarge || chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), tooLarge }));
    req.on('error', reject);
  });
}

const EMPTY = new Uint8Array(0);

function flatHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const h = req.headers;
  for (const k in h) {
    const v = h[k];
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function serveOne(handler: HttpHandler, options: ListenOptions, turns: Turns, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { body, tooLarge } = await readBody(req, options.bodyLimit);
  // Wait for this request's turn: requests are handled in the order they were read, urgent ones
  // first (see turns.ts).
  await turns.turn(options.urgent !== undefined && options.urgent(req.method ?? 'GET', req.url ?? '/'));
  const request: HttpRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: flatHeaders(req), body };
  if (tooLarge) request.bodyTooLarge = true;
  const out = await handler(request);
  // A string body goes out in the same write as the head (node:http joins them); bytes follow it.
  const payload = typeof out.body === 'string' ? out.body : Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength);
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const headers = out.headers;
  headers['content-length'] = String(length);
  res.writeHead(out.status, headers);
  res.end(payload);
}

/** Serve `handler` on `host:port` (port 0 picks a free port), over HTTPS when `options.tls` is set. */
export function listenHttp(handler: HttpHandler, options: ListenOptions): Promise<Listening> {
  const engine = options.engine ?? (process.env['COCO_HTTP_ENGINE'] === 'node' ? 'node' : 'lean');
  return engine === 'lean' ? listenLean(handler, options) : listenNode(handler, options);
}

function listenLean(handler: HttpHandler, options: ListenOptions): Promise<Listening> {
  const turns = new Turns();
  const urgent = options.urgent;
  const lean = new LeanServer(handler, {
    bodyLimit: options.bodyLimit,
    admit: (method, url) => turns.turn(urgent !== undefined && urgent(method, url)),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  return bind(lean.net, options, () => lean.close());
}

function bind(server: NetServer, options: ListenOptions, close: () => Promise<void>): Promise<Listening> {
  const scheme = options.tls ? 'https' : 'http';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ url: `${scheme}://${host}:${addr.port}`, port: addr.port, server, close });
    });
  });
}

function listenNode(handler: HttpHandler, options: ListenOptions): Promise<Listening> {
  const turns = new Turns();
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    serveOne(handler, options, turns, req, res).catch(() => {
      // The app maps its own errors; reaching here means the socket failed or the handler has a bug.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, onRequest) : createServer(onRequest);
  server.keepAliveTimeout = 5000;
  return bind(server, options, () =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  );
}
