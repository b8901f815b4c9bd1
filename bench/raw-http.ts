/**
 * A deliberately small HTTP/1.1 keep-alive client for the KBS bench: one socket per simulated
 * client, one request in flight per socket, requests written as one pre-formatted string, responses
 * framed by `content-length` only (both bench servers always send it). It exists so that the load
 * generator, which shares the machine's two cores with the server, costs as little CPU as possible.
 * @module
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** The `name=value` pair of the first `set-cookie`, if any. */
  cookie: string | undefined;
  body: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');

export class RawHttpConnection {
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined;
  private readonly hostHeader: string;

  private constructor(socket: Socket, host: string, port: number) {
    this.socket = socket;
    this.hostHeader = `${host}:${port}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.drain();
    });
    const fail = (err: Error) => {
      const p = this.pending;
      this.pending = undefined;
      p?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port }, () => {
        s.off('error', reject);
        resolve(new RawHttpConnection(s, host, port));
      });
      s.once('error', reject);
    });
  }

  /** Send one request and resolve its response. `body` is sent as JSON. */
  send(method: string, path: string, body?: string, cookie?: string): Promise<RawResponse> {
    if (this.pending) return Promise.reject(new Error('one request at a time per connection'));
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    if (cookie) head += `cookie: ${cookie}\r\n`;
    if (body !== undefined) head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    else head += '\r\n';
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(head);
    });
  }

  private drain(): void {
    const end = this.buf.indexOf(CRLF2);
    if (end < 0 || !this.pending) return;
    const head = this.buf.toString('latin1', 0, end);
    const lines = head.split('\r\n');
    const status = Number(lines[0]!.slice(9, 12));
    let length = -1;
    let cookie: string | undefined;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      if (name === 'content-length') length = Number(line.slice(colon + 1));
      else if (name === 'set-cookie' && cookie === undefined) cookie = line.slice(colon + 1).trim().split(';')[0];
    }
    const p = this.pending;
    if (!(length >= 0)) {
      this.pending = undefined;
      p.reject(new Error('response without content-length'));
      return;
    }
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.toString('utf8', end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    this.pending = undefined;
    p.resolve({ status, cookie, body });
  }

  close(): void {
    this.socket.destroy();
  }
}
