/**
 * A unary gRPC server on node:http2 (cleartext h2c, TLS, or mutual TLS where only clients with a
 * certificate from the client CA get through), enough for the Attestation Service, RVPS and plugin
 * interfaces: it routes `/package.Service/Method` to handlers.
 *
 * A request must be `POST` with `content-type: application/grpc[+proto]` and one uncompressed message
 * no larger than the limit. Failures are answered "trailers-only" with `grpc-status` and a
 * percent-encoded `grpc-message`: an unknown method is UNIMPLEMENTED, a frame or message that does not
 * decode INVALID_ARGUMENT, a handler's error the status `statusOf` gives (`errors.ts`). A
 * `grpc-timeout` sent by the client bounds the handler: past it the call ends with DEADLINE_EXCEEDED
 * (one longer than a timer can hold, ~24.8 days, is no deadline). Limits, because a client may be
 * hostile: status messages are clipped, a request body must arrive within `bodyTimeoutMs`, a
 * connection carries at most `maxConcurrentStreams` calls at once, and `close()` cuts what is still
 * open after `closeGraceMs`.
 * @module
 */
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  GrpcStatus,
  encodeGrpcMessage,
  frameMessage,
  parseGrpcTimeout,
  unframeMessage,
  decodeMessage,
  encodeMessage,
  type MessageSchema,
  type ProtoMessage,
} from '../../protocol/index.js';
import { GrpcError, MAX_TIMER_MS, clip, statusOf } from './errors.js';


export interface UnaryMethod {
  /** `/package.Service/Method`. */
  path: string;
  request: MessageSchema;
  response: MessageSchema;
  handle(request: ProtoMessage): Promise<ProtoMessage>;
}

/**
 * Server TLS: the key pair (PEM), and with `clientCa` mutual TLS — only clients whose certificate
 * chains to that CA get past the handshake.
 */
export interface GrpcServerTls {
  cert: string;
  key: string;
  clientCa?: string;
}

export interface GrpcServerOptions {
  host?: string;
  port?: number;
  maxMessageBytes?: number;
  /** How long a client may take to send a request body, ms (default 30 s); then the stream is reset. */
  bodyTimeoutMs?: number;
  /** Concurrent streams per connection (default 32): with the body limit, bounds what one connection buffers. */
  maxConcurrentStreams?: number;
  /** How long `close()` lets calls in flight finish before cutting their connections, ms (default 5 s). */
  closeGraceMs?: number;
  /** Serve over TLS (h2) instead of cleartext (h2c). */
  tls?: GrpcServerTls;
  /** Called with every failed call (method path, status, message), e.g. for a log line. */
  onError?: (path: string, code: number, message: string) => void;
}

export interface GrpcListening {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const GRPC_CONTENT_TYPE = /^application\/grpc(\+proto)?(;.*)?$/;

function endWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  const headers = { 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeGrpcMessage(message) };
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond({ ':status': 200, ...headers }, { endStream: true });
}

/** The request body, or undefined once it passes `limit` (the rest is read and dropped); rejects past `timeoutMs`. */
function readAll(stream: ServerHttp2Stream, limit: number, timeoutMs: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      reject(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `request body not received within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !over) {
        over = true;
        chunks.length = 0;
      }
      if (!over) chunks.push(c);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(over ? undefined : Buffer.concat(chunks, size));
    });
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('close', () => clearTimeout(timer));
  });
}


async function serveCall(
  methods: Map<string, UnaryMethod>,
  limits: { body: number; bodyTimeoutMs: number },
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  onError: GrpcServerOptions['onError'],
): Promise<void> {
  const limit = limits.body;
  const path = clip(String(headers[':path'] ?? ''), 200);
  const fail = (code: number, message: string) => {
    onError?.(path, code, clip(message));
    endWithStatus(stream, code, clip(message));
  };
  if (headers[':method'] !== 'POST') {
    stream.respond({ ':status': 405 }, { endStream: true });
    return;
  }
  if (!GRPC_CONTENT_TYPE.test(String(headers['content-type'] ?? ''))) {
    stream.respond({ ':status': 415 }, { endStream: true });
    return;
  }
  const method = methods.get(path);
  let deadline: NodeJS.Timeout | undefined;
  try {
    const timeout = headers['grpc-timeout'];
    const asked = typeof timeout === 'string' ? parseGrpcTimeout(timeout) : undefined;
    const ms = asked !== undefined && asked <= MAX_TIMER_MS ? asked : undefined;
    const body = await readAll(stream, limit + 5, limits.bodyTimeoutMs);
    if (!method) return fail(GrpcStatus.UNIMPLEMENTED, `unknown method ${path}`);
    if (!body) return fail(GrpcStatus.RESOURCE_EXHAUSTED, `request larger than ${limit} bytes`);
    const request = decodeMessage(method.request, unframeMessage(body, limit));
    const work = method.handle(request);
    const response =
      ms === undefined
        ? await work
        : await Promise.race([
            work,
            new Promise<never>((_, reject) => {
              deadline = setTimeout(() => reject(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `deadline of ${ms} ms exceeded`)), ms);
            }),
          ]);
    const frame = frameMessage(encodeMessage(method.response, response));
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(frame);
  } catch (err) {
    const { code, message } = statusOf(err);
    fail(code, message);
  } finally {
    if (deadline) clearTimeout(deadline);
  }
}

/** Serve `methods` over HTTP/2 on `host:port` (port 0 picks a free port): cleartext, or TLS with `options.tls`. */
export function serveGrpc(methods: readonly UnaryMethod[], options: GrpcServerOptions = {}): Promise<GrpcListening> {
  const byPath = new Map(methods.map((m) => [m.path, m]));
  const limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const tls = options.tls;
  const settings = { maxConcurrentStreams: options.maxConcurrentStreams ?? 32 };
  const server: Http2Server | Http2SecureServer = tls
    ? createSecureServer({
        cert: tls.cert,
        key: tls.key,
        minVersion: 'TLSv1.2',
        settings,
        ...(tls.clientCa !== undefined ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
      })
    : createServer({ settings });
  const limits = { body: limit, bodyTimeoutMs: options.bodyTimeoutMs ?? 30_000 };
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {}); // a reset by the client: nothing left to answer
    void serveCall(byPath, limits, stream, headers, options.onError);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 50004, options.host ?? '127.0.0.1', () => {
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const sessions = new Set<ServerHttp2Session>();
      server.on('session', (s: ServerHttp2Session) => {
        sessions.add(s);
        s.on('close', () => sessions.delete(s));
      });
      resolve({
        url: `${tls ? 'https' : 'http'}://${host}:${addr.port}`,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sessions) s.close();
            // Calls still open after the grace period (a client that never finishes its body) are cut.
            const cut = setTimeout(() => {
              for (const s of sessions) s.destroy();
            }, options.closeGraceMs ?? 5000);
            cut.unref();
          }),
      });
    });
  });
}
