/**
 * A unary gRPC client on node:http2 (`http://` h2c or `https://` TLS, with an optional CA and client
 * certificate): one HTTP/2 session per client, opened on first use and again after it closes or when
 * the server is closing it. A call past its deadline is cancelled (RST_STREAM) and fails with
 * DEADLINE_EXCEEDED, and the connection is then pinged: without an answer it is dropped, so a flow a
 * firewall silently cut is not reused call after call. A connection that fails gives UNAVAILABLE; a
 * non-OK `grpc-status` is a `GrpcError` with that code and its (clipped) message.
 * @module
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import type {  } from 'node:net';
import {  MalformedInput } from '../../core/index.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  GrpcStatus,
  decodeGrpcMessage,
  formatGrpcTimeout,
  frameMessage,
  unframeMessage,
  decodeMessage,
  encodeMessage,
  type MessageSchema,
  type ProtoMessage,
} from '../../protocol/index.js';
import { GrpcError, clip } from './errors.js';


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
