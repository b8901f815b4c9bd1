/**
 * Trustee's own HTTP/1.1 server on node:net / node:tls sockets, framing with `protocol/http1.ts`.
 *
 * Why not node:http: a KBS handshake is three small requests, and node:http's request and response
 * streams, events and header objects cost about as much event-loop time as our whole HTTP share
 * should. This server reads bytes, frames them, calls the handler with an `HttpRequest` and writes
 * the head and body in one write; per request it costs about half of node:http (docs/benchmarks.md).
 *
 * Behaviour kept from node:http: keep-alive (5 s idle), pipelined requests answered in order, `100
 * Continue`, a 16 KiB head limit, a 60 s limit to receive a head and 300 s for a whole request,
 * bodies over the limit read and dropped (the handler sees `bodyTooLarge`), TCP_NODELAY.
 * @module
 */
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import { ChunkedDecoder, findHeadEnd, Http1Error, httpDateFormatter, MAX_HEAD_BYTES, parseRequestHead, responseHead, statusHasNoBody, type RequestHead } from '../../protocol/index.js';
import type { HttpHandler, HttpRequest, HttpResponse } from './types.js';

export interface LeanOptions {
  bodyLimit: number;
  tls?: SecureContextOptions;
  /** Called once per request when it is complete, before the handler (the adapter's turns). */
  admit?: (method: string, url: string) => Promise<void>;
  keepAliveTimeoutMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const EMPTY = Buffer.alloc(0);
const CR = Buffer.from('\r');
/** Bodies up to this size go out in the same write as the head (copied); larger ones are corked. */
const JOIN_BELOW = 16 * 1024;
/** Bytes buffered from a connection while its request is handled before reading pauses. */
const PAUSE_ABOVE = 64 * 1024;

/** The `date` of responses. */
const httpDate = httpDateFormatter();

type Phase = 'head' | 'body' | 'busy' | 'closed';

/** One client connection: reads requests one at a time and answers them in order. */
class Connection {
  phase: Phase = 'head';
  /**
   * Bytes read while a request is being answered (the next pipelined requests), kept as the chunks
   * that came: copying them into one buffer per chunk would cost time quadratic in their number.
   */
  private queue: Buffer[] = [];
  private queued = 0;
  /** The chunks of a head not yet complete, their total length, and a CR held before the first line. */
  private headParts: Buffer[] = [];
  private headLen = 0;
  /** The last (up to) 3 bytes of `headParts`, where a CRLFCRLF may have begun. */
  private headTail: Buffer = EMPTY;
  private heldCr = false;
  private head: RequestHead | undefined;
  private need = 0;
  private chunks: Buffer[] = [];
  private size = 0;
  private tooLarge = false;
  private decoder: ChunkedDecoder | undefined;
  /** When the current request's first byte arrived, and the last activity (for the idle timeout). */
  started = 0;
  lastActive = Date.now();

  readonly socket: Socket;
  private readonly server: LeanServer;

  constructor(socket: Socket, server: LeanServer) {
    this.socket = socket;
    this.server = server;
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    socket.on('end', () => {
      // The client will send nothing more: an idle connection ends, a busy one after its answer, and
      // one in the middle of a request is cut.
      if (this.phase === 'head' && this.started === 0) this.finish();
      else if (this.phase !== 'busy') this.close();
    });
  }

  private onData(b: Buffer): void {
    this.lastActive = Date.now();
    if (this.phase === 'closed') return;
    if (this.phase === 'busy') this.enqueue(b);
    else this.consume(b);
  }

  private enqueue(b: Buffer): void {
    this.queue.push(b);
    this.queued += b.length;
    if (this.queued > PAUSE_ABOVE) this.socket.pause();
  }

  private consume(b: Buffer): void {
    try {
      this.feed(b);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Frame `b` until a request is complete or the bytes run out; what follows a request waits. */
  private feed(b: Buffer | undefined): void {
    while (b !== undefined && b.length > 0 && this.phase !== 'busy' && this.phase !== 'closed') {
      if (this.phase === 'head') b = this.readHead(b);
      else b = this.readBody(b);
    }
    if (this.phase === 'busy' && b !== undefined && b.length > 0) this.enqueue(b);
  }

  private readHead(b: Buffer): Buffer | undefined {
    if (this.started === 0) {
      // Empty lines before a request line are ignored (RFC 9112 §2.2), e.g. a CRLF after a body.
      let i = 0;
      if (this.heldCr) {
        this.heldCr = false;
        if (b[0] === 10) i = 1;
        else b = Buffer.concat([CR, b]);
      }
      while (i + 1 < b.length && b[i] === 13 && b[i + 1] === 10) i += 2;
      if (i > 0) b = b.subarray(i);
      if (b.length === 0) return undefined;
      if (b.length === 1 && b[0] === 13) {
        this.heldCr = true;
        return undefined;
      }
      this.started = Date.now();
    }
    // The end of the head may straddle chunks: look at the last 3 bytes already held with this chunk.
    let end = -1;
    let take = 0;
    if (this.headLen > 0) {
      const carry = this.headTail;
      const seam = findHeadEnd(Buffer.concat([carry, b.subarray(0, 3)]));
      if (seam >= 0) take = seam + 4 - carry.length;
    }
    if (take === 0) {
      end = findHeadEnd(b);
      if (end >= 0) take = end + 4;
    }
    if (take === 0) {
      this.headParts.push(b);
      this.headLen += b.length;
      this.headTail = b.length >= 3 ? b.subarray(b.length - 3) : Buffer.concat([this.headTail, b]).subarray(-3);
      if (this.headLen > MAX_HEAD_BYTES) throw new Http1Error(431, 'request head too large');
      return undefined;
    }
    const whole = this.headLen === 0 ? b : Buffer.concat([...this.headParts, b.subarray(0, take)]);
    const headBytes = this.headLen === 0 ? end : this.headLen + take - 4;
    this.headParts = [];
    this.headLen = 0;
    this.headTail = EMPTY;
    if (headBytes > MAX_HEAD_BYTES) throw new Http1Error(431, 'request head too large');
    const head = parseRequestHead(whole.toString('latin1', 0, headBytes));
    this.head = head;
    this.chunks = [];
    this.size = 0;
    const limit = this.server.options.bodyLimit;
    const rest = b.subarray(take);
    if (head.body.kind === 'none') {
      this.tooLarge = false;
      this.dispatch();
      return rest;
    }
    this.tooLarge = head.body.kind === 'length' && head.body.length > limit;
    if (head.expectContinue) {
      if (this.tooLarge) {
        // Answer now instead of inviting a body that would be dropped; the client may send it anyway,
        // so the connection cannot be reused.
        head.keepAlive = false;
        this.dispatch();
        return undefined;
      }
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    if (head.body.kind === 'length') this.need = head.body.length;
    else this.decoder = new ChunkedDecoder();
    this.phase = 'body';
    return rest;
  }

  private readBody(b: Buffer): Buffer | undefined {
    const limit = this.server.options.bodyLimit;
    if (this.decoder === undefined) {
      const n = Math.min(this.need, b.length);
      this.take(b.subarray(0, n), limit);
      this.need -= n;
      if (this.need > 0) return undefined;
      this.dispatch();
      return b.subarray(n);
    }
    for (const part of this.decoder.push(b)) this.take(part, limit);
    if (!this.decoder.done) return undefined;
    const rest = this.decoder.rest;
    this.decoder = undefined;
    this.dispatch();
    return rest;
  }

  private take(part: Buffer, limit: number): void {
    if (this.tooLarge || part.length === 0) return;
    this.size += part.length;
    if (this.size > limit) {
      this.tooLarge = true;
      this.chunks = [];
      return;
    }
    this.chunks.push(part);
  }

  private dispatch(): void {
    const head = this.head!;
    this.phase = 'busy';
    const c = this.chunks;
    const body = this.tooLarge || c.length === 0 ? EMPTY : c.length === 1 ? c[0]! : Buffer.concat(c, this.size);
    this.chunks = [];
    const request: HttpRequest = { method: head.method, url: head.target, headers: head.headers, body };
    if (this.tooLarge) request.bodyTooLarge = true;
    this.server.run(request).then(
      (out) => this.respond(head, out),
      () => this.respond(head, { status: 500, headers: { 'content-type': 'text/plain' }, body: 'internal error' }),
    );
  }

  private respond(head: RequestHead, out: HttpResponse): void {
    if (this.phase === 'closed') return;
    const keepAlive = head.keepAlive && !this.server.closing;
    let text: string;
    let bytes: Uint8Array | undefined;
    const noBody = head.method === 'HEAD' || statusHasNoBody(out.status);
    try {
      const isText = typeof out.body === 'string';
      const length = isText ? Buffer.byteLength(out.body as string) : (out.body as Uint8Array).byteLength;
      text = responseHead(out.status, out.headers, length, httpDate(Date.now()), keepAlive, head.minor);
      if (!noBody) {
        if (isText) text += out.body as string;
        else bytes = out.body as Uint8Array;
      }
    } catch {
      text = responseHead(500, { 'content-type': 'text/plain' }, 14, httpDate(Date.now()), keepAlive, head.minor) + 'internal error';
    }
    const s = this.socket;
    if (bytes === undefined || bytes.byteLength === 0) s.write(text);
    else if (bytes.byteLength < JOIN_BELOW) {
      const h = Buffer.byteLength(text, 'latin1');
      const out = Buffer.allocUnsafe(h + bytes.byteLength);
      out.write(text, 0, 'latin1');
      out.set(bytes, h);
      s.write(out);
    } else {
      s.cork();
      s.write(text, 'latin1');
      s.write(bytes);
      s.uncork();
    }
    this.head = undefined;
    this.started = 0;
    this.lastActive = Date.now();
    if (!keepAlive) {
      this.finish();
      return;
    }
    this.phase = 'head';
    const next = () => {
      if (this.phase !== 'head') return;
      const q = this.queue;
      this.queue = [];
      this.queued = 0;
      if (this.socket.isPaused()) this.socket.resume();
      for (let k = 0; k < q.length; k++) {
        this.consume(q[k]!);
        const phase = this.phase as Phase;
        if (phase === 'closed') break;
        if (phase !== 'busy') continue;
        // The next request is complete: the chunks after this one wait behind what it left over.
        for (let j = k + 1; j < q.length; j++) this.enqueue(q[j]!);
        break;
      }
      if (this.socket.readableEnded && this.phase === 'head') {
        if (this.started === 0) this.finish();
        else this.close();
      }
    };
    // A pipelined request waits until the answer before it is on its way (backpressure).
    if (s.writableNeedDrain) s.once('drain', next);
    else next();
  }

  /** Answer a framing error and close (the request's end is unknown, so nothing more can be read). */
  fail(e: unknown): void {
    if (this.phase === 'closed') return;
    const status = e instanceof Http1Error ? e.status : 400;
    const reason = e instanceof Http1Error ? e.message : 'bad request';
    this.phase = 'closed';
    this.server.forget(this);
    this.socket.end(responseHead(status, { 'content-type': 'text/plain' }, reason.length, httpDate(Date.now()), false, 1) + reason);
    // Lingering would let a client flood us; the answer is best effort, like node:http's.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** End the connection after what was written (the answer) has gone out. */
  finish(): void {
    this.phase = 'closed';
    this.server.forget(this);
    this.socket.end();
    // A client that keeps its half open after the last answer gets 5 s, then is cut.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  close(): void {
    if (this.phase === 'closed' && this.socket.destroyed) return;
    this.phase = 'closed';
    this.server.forget(this);
    this.socket.destroy();
  }
}

/** The listening server: its sockets, the handler, and one timer that enforces the time limits. */
export class LeanServer {
  readonly net: Server;
  readonly connections = new Set<Connection>();
  closing = false;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  private readonly handler: HttpHandler;
  readonly options: LeanOptions;

  constructor(handler: HttpHandler, options: LeanOptions) {
    this.handler = handler;
    this.options = options;
    const accept = (socket: Socket) => {
      this.connections.add(new Connection(socket, this));
    };
    // Half-open: a client may end its side after a request and still read the answer.
    this.net = options.tls
      ? createTlsServer({ ...options.tls, ALPNProtocols: ['http/1.1'], allowHalfOpen: true }, accept)
      : createServer({ allowHalfOpen: true }, accept);
    // A TLS handshake that fails is the client's problem; never let it become an 'error' on the server.
    this.net.on('tlsClientError', (_e: Error, s: Socket) => s.destroy());
    this.sweeper = setInterval(() => this.sweep(Date.now()), 1000);
    this.sweeper.unref();
  }

  run(request: HttpRequest): Promise<HttpResponse> {
    const admit = this.options.admit;
    return admit === undefined ? this.handler(request) : admit(request.method, request.url).then(() => this.handler(request));
  }

  forget(c: Connection): void {
    this.connections.delete(c);
  }

  /** Close idle keep-alive connections, and requests whose head or whole takes too long (408). */
  sweep(now: number): void {
    const idle = this.options.keepAliveTimeoutMs ?? 5000;
    const headers = this.options.headersTimeoutMs ?? 60_000;
    const whole = this.options.requestTimeoutMs ?? 300_000;
    for (const c of this.connections) {
      if (c.phase === 'busy') continue;
      if (c.started === 0) {
        if (now - c.lastActive >= idle) c.close();
      } else if ((c.phase === 'head' && now - c.started >= headers) || now - c.started >= whole) c.fail(new Http1Error(408, 'request timeout'));
    }
  }

  /** Stop accepting, then close every connection (requests in flight are cut, as node:http's closeAllConnections). */
  close(): Promise<void> {
    this.closing = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    return new Promise((done) => {
      this.net.close(() => done());
      for (const c of this.connections) c.close();
    });
  }
}
