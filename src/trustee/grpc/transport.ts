/**
 * Unary gRPC over node:http2 (cleartext h2c for `http://` addresses, TLS for `https://`, optionally
 * mutual TLS where the server accepts only clients with a certificate from its client CA), enough for
 * the Attestation Service and RVPS interfaces (`protocol/as-grpc.ts`): a server that routes
 * `/package.Service/Method` to handlers, and a client with a per-call deadline.
 *
 * Server: a request must be `POST` with `content-type: application/grpc[+proto]` and one uncompressed
 * message no larger than the limit. Failures are answered "trailers-only" with `grpc-status` and a
 * percent-encoded `grpc-message`: an unknown method is UNIMPLEMENTED, a frame or message that does
 * not decode INVALID_ARGUMENT, a `GrpcError` from a handler its own code, any other error from a
 * handler the code its `CocoError` class maps to (see `statusOf`). A `grpc-timeout` sent by the
 * client bounds the handler: past it the call ends with DEADLINE_EXCEEDED (one longer than a timer can
 * hold, ~24.8 days, is no deadline). Limits, because a client may be hostile: status messages are
 * clipped to 1 KiB (they may echo input, and an oversized header would break the connection), a
 * request body must arrive within `bodyTimeoutMs`, a connection carries at most
 * `maxConcurrentStreams` calls at once, and `close()` cuts what is still open after `closeGraceMs`.
 *
 * Client: one HTTP/2 session per client, opened on first use and again after it closes or when the
 * server is closing it. A call past its deadline is cancelled (RST_STREAM) and fails with
 * DEADLINE_EXCEEDED, and the connection is then pinged: without an answer it is dropped, so a flow a
 * firewall silently cut is not reused call after call. A connection that fails gives UNAVAILABLE; a
 * non-OK `grpc-status` is a `GrpcError` with that code and its (clipped) message.
 * @module
 */
import {
  connect,
  constants,
  createSecureServer,
  createServer,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { CocoError, MalformedInput } from '../../core/index.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  GrpcStatus,
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatGrpcTimeout,
  frameMessage,
  grpcStatusName,
  parseGrpcTimeout,
  unframeMessage,
  type GrpcStatusCode,
  decodeMessage,
  encodeMessage,
  type MessageSchema,
  type ProtoMessage,
} from '../../protocol/index.js';

/** A gRPC failure with its status code (sent by a server handler, or received by the client). */
export class GrpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'GrpcError';
    this.code = code;
  }
  /** `NOT_FOUND: no such policy`. */
  override toString(): string {
    return `${grpcStatusName(this.code)}: ${this.message}`;
  }
}

export interface UnaryMethod {
  /** `/package.Service/Method`. */
  path: string;
  request: MessageSchema;
  response: MessageSchema;
  handle(request: ProtoMessage): Promise<ProtoMessage>;
}

/** Longest `grpc-message` we send or keep (errors may echo untrusted input; headers must stay small). */
export const MAX_STATUS_MESSAGE = 1024;

/** `text` cut to `max` characters, saying so. */
export function clip(text: string, max = MAX_STATUS_MESSAGE): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** The status a handler's error is answered with (the message clipped to `MAX_STATUS_MESSAGE`). */
export function statusOf(err: unknown): { code: number; message: string } {
  const s = rawStatusOf(err);
  return { code: s.code, message: clip(s.message) };
}

function rawStatusOf(err: unknown): { code: number; message: string } {
  if (err instanceof GrpcError) return { code: err.code, message: err.message };
  if (err instanceof CocoError) {
    const code: Record<string, GrpcStatusCode> = {
      ERR_MALFORMED_INPUT: GrpcStatus.INVALID_ARGUMENT,
      ERR_VERIFICATION_FAILED: GrpcStatus.PERMISSION_DENIED,
      ERR_POLICY_DENIED: GrpcStatus.PERMISSION_DENIED,
      ERR_NOT_FOUND: GrpcStatus.NOT_FOUND,
      ERR_UNAUTHORIZED: GrpcStatus.UNAUTHENTICATED,
      ERR_UNSUPPORTED: GrpcStatus.UNIMPLEMENTED,
      ERR_CONFLICT: GrpcStatus.ALREADY_EXISTS,
      ERR_LIMIT_EXCEEDED: GrpcStatus.RESOURCE_EXHAUSTED,
      ERR_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
      ERR_CONFIG: GrpcStatus.FAILED_PRECONDITION,
    };
    return { code: code[err.code] ?? GrpcStatus.UNKNOWN, message: err.message };
  }
  // A bug in a handler: say so without its details.
  return { code: GrpcStatus.INTERNAL, message: 'internal error' };
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

/** Node timers take at most 2^31-1 ms; a longer grpc-timeout is no deadline at all in practice. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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

/** Client TLS for an `https://` server: a CA to trust instead of the system's, and a client certificate for mutual TLS. */
export interface GrpcClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface GrpcClientOptions {
  /** Per-call deadline, ms (default 300 s, upstream KBS's bound on a call to the AS). */
  timeoutMs?: number;
  maxMessageBytes?: number;
  tls?: GrpcClientTls;
  /**
   * After a call misses its deadline the connection is pinged; without an answer within this many ms
   * (default 5 s) it is dropped, so that a connection a firewall silently cut is not reused.
   */
  pingTimeoutMs?: number;
}

/** Node timers take at most 2^31-1 ms (a longer one fires at once). */
function checkTimeout(ms: number): number {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 2 ** 31 - 1) throw new MalformedInput(`gRPC timeout ${ms} ms: expected 1..${2 ** 31 - 1}`, { where: 'grpc timeout' });
  return ms;
}

/** A client of one gRPC server (`http://host:port` or `https://host:port`). */
export class GrpcClient {
  private session: ClientHttp2Session | undefined;
  private readonly address: string;
  private readonly timeoutMs: number;
  private readonly limit: number;
  private readonly tls: GrpcClientTls | undefined;
  private readonly pingTimeoutMs: number;
  /** Calls in flight: the session keeps the process alive only while there are some. */
  private inflight = 0;

  constructor(address: string, options: GrpcClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(address);
    } catch (cause) {
      throw new MalformedInput(`gRPC address ${JSON.stringify(address)} is not a URL`, { cause, where: 'grpc address' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new MalformedInput(`gRPC address ${address}: expected http:// or https://`, { where: 'grpc address' });
    this.address = url.origin;
    this.timeoutMs = checkTimeout(options.timeoutMs ?? 300_000);
    if (options.tls && url.protocol !== 'https:') throw new MalformedInput(`gRPC address ${address}: TLS settings need an https:// address`, { where: 'grpc address' });
    if (options.tls && (options.tls.cert === undefined) !== (options.tls.key === undefined)) {
      throw new MalformedInput('a gRPC client certificate needs its key, and a key its certificate', { where: 'grpc tls' });
    }
    this.tls = options.tls;
    this.limit = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  }

  /** Ping `session`; drop it when no answer comes back in time (or the ping cannot be sent). */
  private probe(session: ClientHttp2Session): void {
    if (session.closed || session.destroyed) return;
    const drop = () => {
      if (this.session === session) this.session = undefined;
      session.destroy();
    };
    const timer = setTimeout(drop, this.pingTimeoutMs);
    timer.unref();
    try {
      const sent = session.ping((err) => {
        clearTimeout(timer);
        if (err) drop();
      });
      if (!sent) {
        clearTimeout(timer);
        drop();
      }
    } catch {
      clearTimeout(timer);
      drop();
    }
  }

  /** The server's origin, e.g. `http://127.0.0.1:50004`. */
  get target(): string {
    return this.address;
  }

  private connection(): ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = this.tls ? connect(this.address, { ...this.tls }) : connect(this.address);
    s.on('error', () => {}); // surfaced to the calls in flight through their streams
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    // Idle sessions do not keep the process alive; calls in flight do (their streams are ref'd).
    s.unref();
    this.session = s;
    return s;
  }

  /** Call `path` with `request`; resolves with the decoded response. */
  unary(path: string, requestSchema: MessageSchema, request: ProtoMessage, responseSchema: MessageSchema, options: { timeoutMs?: number } = {}): Promise<ProtoMessage> {
    const timeoutMs = options.timeoutMs === undefined ? this.timeoutMs : checkTimeout(options.timeoutMs);
    const frame = frameMessage(encodeMessage(requestSchema, request));
    return new Promise((resolve, reject) => {
      // A session the server is closing (GOAWAY) refuses new streams at once: drop it and open another.
      const headers = { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': formatGrpcTimeout(timeoutMs) };
      let session: ClientHttp2Session | undefined;
      let stream: ClientHttp2Stream | undefined;
      let lastError: unknown;
      for (let attempt = 0; attempt < 2 && !stream; attempt++) {
        try {
          session = this.connection();
          stream = session.request(headers);
        } catch (err) {
          lastError = err;
          if (session && this.session === session) {
            this.session = undefined;
            session.destroy();
          }
        }
      }
      if (!stream || !session) {
        reject(new GrpcError(GrpcStatus.UNAVAILABLE, `cannot call ${this.address}${path}: ${(lastError as Error | undefined)?.message ?? 'no session'}`));
        return;
      }
      this.inflight++;
      session.ref();
      let settled = false;
      const done = (err: Error | undefined, value?: ProtoMessage) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (--this.inflight === 0) this.session?.unref();
        if (err) reject(err);
        else resolve(value!);
      };
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        done(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, `no answer from ${this.address}${path} within ${timeoutMs} ms`));
        // A slow server answers the ping; a connection that silently died does not, and is dropped.
        this.probe(session);
      }, timeoutMs);
      let status: string | undefined;
      let message = '';
      let httpStatus = 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const takeStatus = (h: IncomingHttpHeaders) => {
        if (h['grpc-status'] !== undefined) {
          status = String(h['grpc-status']);
          message = clip(decodeGrpcMessage(String(h['grpc-message'] ?? '')));
        }
      };
      stream.on('response', (h) => {
        httpStatus = Number(h[':status']);
        takeStatus(h);
      });
      stream.on('trailers', takeStatus);
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.limit + 5) {
          stream.close(constants.NGHTTP2_CANCEL);
          done(new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `response larger than ${this.limit} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('error', (err) => done(new GrpcError(GrpcStatus.UNAVAILABLE, `${this.address}${path}: ${err.message}`)));
      stream.on('close', () => {
        if (settled) return;
        if (httpStatus !== 200) return done(new GrpcError(GrpcStatus.UNAVAILABLE, `${this.address}${path}: HTTP status ${httpStatus || 'none'}`));
        if (status === undefined) return done(new GrpcError(GrpcStatus.INTERNAL, `${this.address}${path}: the answer has no grpc-status`));
        const code = Number(status);
        if (code !== GrpcStatus.OK) return done(new GrpcError(Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, message));
        try {
          done(undefined, decodeMessage(responseSchema, unframeMessage(Buffer.concat(chunks, size), this.limit)));
        } catch (err) {
          done(new GrpcError(GrpcStatus.INTERNAL, `${this.address}${path}: ${(err as Error).message}`));
        }
      });
      stream.end(frame);
    });
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }
}
