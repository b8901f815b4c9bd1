import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { request as httpRequest, Agent } from 'node:http';
import { LeanServer } from './lean.js';
import { listenHttp, type Listening } from './adapter.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** What the handler saw, in order. */
const seen: HttpRequest[] = [];
let slowFirst = false;

async function handler(req: HttpRequest): Promise<HttpResponse> {
  seen.push(req);
  if (req.url === '/slow' && slowFirst) await new Promise((r) => setTimeout(r, 50));
  if (req.url === '/throw') throw new Error('handler bug');
  if (req.url === '/inject') return { status: 200, headers: { 'x-bad': 'a\r\nset-cookie: evil=1' }, body: 'x' };
  if (req.url === '/empty') return { status: 204, headers: {}, body: '' };
  if (req.url === '/bytes') return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(40_000).fill(7) };
  if (req.bodyTooLarge) return { status: 413, headers: { 'content-type': 'text/plain' }, body: 'too large' };
  const text = Buffer.from(req.body).toString('latin1');
  return { status: 200, headers: { 'content-type': 'text/plain', 'x-url': req.url }, body: `${req.method} ${text}` };
}

/** Connect, send `chunks` (one write each), and read until the server closes or `done` says so. */
function exchange(port: number, chunks: (string | Buffer)[], done?: (text: string) => boolean, keep?: (s: Socket) => void, spaced = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no end; got ${JSON.stringify(out)}`))), 3000);
    s.on('data', (b: Buffer) => {
      out += b.toString('latin1');
      if (done?.(out)) {
        clearTimeout(timer);
        if (keep) keep(s);
        else s.destroy();
        resolve(out);
      }
    });
    s.on('close', () => (clearTimeout(timer), resolve(out)));
    s.on('error', reject);
    s.on('connect', () => {
      if (!spaced) return chunks.forEach((c) => s.write(c));
      // One chunk per write, each after the last was flushed, so the server reads them apart.
      s.setNoDelay(true);
      let k = 0;
      const next = () => {
        if (k < chunks.length) s.write(chunks[k++]!, () => setTimeout(next, 1));
      };
      next();
    });
  });
}

const count = (text: string, what: string) => text.split(what).length - 1;
const post = (path: string, body: string, extra = '') => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

describe('the lean HTTP/1.1 server', () => {
  let listening: Listening;
  let port: number;
  before(async () => {
    listening = await listenHttp(handler, { port: 0, bodyLimit: 1000, engine: 'lean' });
    port = listening.port;
  });
  after(() => listening.close());

  test('answers requests on one kept-alive connection in order, with content-length and date', async () => {
    const out = await exchange(port, [post('/a', 'one'), post('/b', 'two')], (t) => count(t, 'POST ') === 2);
    assert.equal(count(out, 'HTTP/1.1 200 OK\r\n'), 2);
    assert.ok(out.indexOf('POST one') < out.indexOf('POST two'));
    assert.match(out, /content-length: 8\r\n/);
    assert.match(out, /date: \w{3}, \d\d \w{3} \d{4} /);
    assert.doesNotMatch(out, /connection: close/);
  });

  test('answers pipelined requests sent in one write in order, even when the first is slower', async () => {
    slowFirst = true;
    try {
      const out = await exchange(port, [post('/slow', 'first') + post('/fast', 'second') + 'GET /third HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.includes('GET '));
      const order = [...out.matchAll(/x-url: (\/\w+)/g)].map((m) => m[1]);
      assert.deepEqual(order, ['/slow', '/fast', '/third']);
    } finally {
      slowFirst = false;
    }
  });

  test('reads a request split into single bytes', async () => {
    const bytes = Buffer.from(post('/split', 'abc'));
    const out = await exchange(port, [...bytes].map((b) => Buffer.from([b])), (t) => t.includes('POST abc'), undefined, true);
    assert.match(out, /^HTTP\/1\.1 200 OK/);
  });

  test('finds the end of a head split into three chunks at every pair of places, pipelined after a request', async () => {
    const first = post('/p1', 'x');
    const second = 'GET /seam HTTP/1.1\r\nhost: x\r\n\r\n';
    const bytes = Buffer.from(first + second);
    const near = bytes.length - 8;
    for (let a = near; a < bytes.length; a++) {
      for (let c = a + 1; c < bytes.length; c++) {
        const out = await exchange(port, [bytes.subarray(0, a), bytes.subarray(a, c), bytes.subarray(c)], (t) => t.includes('x-url: /seam'), undefined, true);
        assert.equal(count(out, 'HTTP/1.1 200 OK'), 2, `split at ${a} and ${c}`);
      }
    }
  });

  test('ignores empty lines before a request line, even with the CR and LF in separate chunks', async () => {
    const out = await exchange(port, ['\r\n\r', '\n\r', '\nGET /blank HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.includes('x-url: /blank'), undefined, true);
    assert.match(out, /^HTTP\/1\.1 200 OK/);
  });

  test('decodes a chunked body and keeps the connection for the next request', async () => {
    const chunked = 'POST /c HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\ntrailer: t\r\n\r\n';
    const out = await exchange(port, [chunked, post('/d', 'next')], (t) => t.includes('POST next'));
    assert.match(out, /POST abc0123456789/);
  });

  test('sends 100 Continue before reading a body when asked', async () => {
    const head = 'POST /e HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\nexpect: 100-continue\r\n\r\n';
    let sentBody = false;
    const out = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write(head));
      let text = '';
      s.on('data', (b: Buffer) => {
        text += b.toString('latin1');
        if (!sentBody && text.startsWith('HTTP/1.1 100 Continue\r\n\r\n')) {
          sentBody = true;
          s.write('body');
        }
        if (text.includes('POST body')) (s.destroy(), resolve(text));
      });
      s.on('error', reject);
    });
    assert.ok(out.startsWith('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK'));
  });

  test('answers at once, without 100 Continue, when an expected body is over the limit, and closes', async () => {
    const out = await exchange(port, ['POST /f HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\nexpect: 100-continue\r\n\r\n']);
    assert.match(out, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(out, /100 Continue/);
    assert.match(out, /connection: close/);
  });

  test('drops a body over the limit, tells the handler, and serves the next request', async () => {
    const big = 'y'.repeat(3000);
    const chunkedBig = `POST /g HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n${(3000).toString(16)}\r\n${big}\r\n0\r\n\r\n`;
    const out = await exchange(port, [post('/g', big), chunkedBig, post('/h', 'ok')], (t) => t.includes('POST ok'));
    assert.equal(count(out, 'HTTP/1.1 413 '), 2);
    const tooLarge = seen.filter((r) => r.url === '/g');
    assert.equal(tooLarge.length, 2);
    assert.ok(tooLarge.every((r) => r.bodyTooLarge === true && r.body.length === 0));
  });

  for (const [name, bytes, status] of [
    ['a malformed request line', 'GET /x HTTP/1.1 extra\r\n\r\n', 400],
    ['an unsupported HTTP version', 'GET /x HTTP/2.0\r\n\r\n', 505],
    ['content-length together with transfer-encoding', 'POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\nabc', 400],
    ['a bad chunk size', 'POST /x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 400],
    ['an HTTP/1.1 request without a Host', 'GET /x HTTP/1.1\r\naccept: */*\r\n\r\n', 400],
    ['a head over 16 KiB', `GET /x HTTP/1.1\r\nx-long: ${'a'.repeat(17 * 1024)}`, 431],
  ] as const) {
    test(`refuses ${name} with ${status}, closes, and never calls the handler`, async () => {
      const before = seen.length;
      const out = await exchange(port, [bytes]);
      assert.match(out, new RegExp(`^HTTP/1\\.1 ${status} `));
      assert.match(out, /connection: close/);
      assert.equal(seen.length, before);
    });
  }

  test('closes an HTTP/1.0 connection after the answer unless keep-alive was asked', async () => {
    const closed = await exchange(port, ['GET /old HTTP/1.0\r\n\r\n']);
    assert.match(closed, /^HTTP\/1\.1 200 OK[^]*connection: close/);
    const kept = await exchange(port, ['GET /old HTTP/1.0\r\nconnection: keep-alive\r\n\r\n', 'GET /again HTTP/1.0\r\nconnection: keep-alive\r\n\r\n'], (t) => count(t, 'GET ') === 2);
    assert.match(kept, /connection: keep-alive/);
  });

  test('a HEAD answer carries the length but no body', async () => {
    const out = await exchange(port, ['HEAD /h HTTP/1.1\r\nhost: x\r\n\r\n', 'GET /next HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.includes('GET '));
    const [first] = out.split('HTTP/1.1 200 OK').slice(1);
    assert.match(first!, /content-length: 5\r\n/); // "HEAD " and an empty body
    assert.ok(first!.endsWith('\r\n\r\n'), 'no body after the HEAD answer');
  });

  test('a 204 answer has neither body nor content-length', async () => {
    const out = await exchange(port, ['GET /empty HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.endsWith('\r\n\r\n'));
    assert.match(out, /^HTTP\/1\.1 204 No Content\r\n/);
    assert.doesNotMatch(out, /content-length/);
  });

  test('a failing handler gives 500 and a header that would split the response gives 500 too', async () => {
    const out = await exchange(port, ['GET /throw HTTP/1.1\r\nhost: x\r\n\r\n', 'GET /inject HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => count(t, 'internal error') === 2);
    assert.equal(count(out, 'HTTP/1.1 500 Internal Server Error'), 2);
    assert.doesNotMatch(out, /evil/);
  });

  test('a large byte body goes out whole', async () => {
    const out = await exchange(port, ['GET /bytes HTTP/1.1\r\nhost: x\r\n\r\n'], (t) => t.length >= 40_000 && t.endsWith('\x07'.repeat(10)) && t.split('\r\n\r\n')[1]!.length === 40_000);
    assert.match(out, /content-length: 40000\r\n/);
  });

  test('answers a client that ended its side after sending the request', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.end(post('/half', 'bye')));
      let text = '';
      s.on('data', (b: Buffer) => (text += b.toString('latin1')));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    assert.match(out, /POST bye$/);
  });

  test('node:http clients with a keep-alive agent reuse one connection', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const r = httpRequest(`${listening.url}/agent`, { method: 'POST', agent }, (res) => {
          sockets.add(res.socket);
          let t = '';
          res.on('data', (c: Buffer) => (t += c.toString()));
          res.on('end', () => resolve(t));
        });
        r.on('error', reject);
        r.end(`n${i}`);
      });
      assert.equal(body, `POST n${i}`);
    }
    agent.destroy();
    assert.equal(sockets.size, 1);
  });

  test('fetch streams a chunked body in and reads the answer', async () => {
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('str'));
        c.enqueue(new TextEncoder().encode('eam'));
        c.close();
      },
    });
    const res = await fetch(`${listening.url}/stream`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(await res.text(), 'POST stream');
  });

  test('under fuzzing (mutated and truncated requests) it answers with a status line or closes, and keeps serving', async () => {
    const valid = Buffer.from(post('/fz', 'body', 'cookie: a=b\r\n') + 'POST /fz HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(valid.length), async (flips, cut) => {
        const bytes = Buffer.from(valid.subarray(0, cut));
        for (const [at, v] of flips) if (at < bytes.length) bytes[at] = v;
        const out = await new Promise<string>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => s.end(bytes));
          let text = '';
          s.on('data', (b: Buffer) => (text += b.toString('latin1')));
          s.on('close', () => resolve(text));
          s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(text) : reject(e)));
        });
        for (const answer of out.split(/(?=HTTP\/1\.1 )/).filter(Boolean)) assert.match(answer, /^HTTP\/1\.1 [1-5]\d\d /);
      }),
      { numRuns: 150 },
    );
    const after = await exchange(port, [post('/after', 'still')], (t) => t.includes('POST still'));
    assert.match(after, /^HTTP\/1\.1 200 OK/);
  });
});

describe('the lean server time limits', () => {
  test('an idle kept-alive connection is closed after 5 s and a slow head gets 408', async () => {
    const server = new LeanServer(handler, { bodyLimit: 100 });
    await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
    const port = (server.net.address() as { port: number }).port;
    try {
      const idle = exchange(port, ['GET /i HTTP/1.1\r\nhost: x\r\n\r\n']);
      const slow = exchange(port, ['GET /s HTTP/1.1\r\nhost: x\r\n']);
      await new Promise((r) => setTimeout(r, 100));
      server.sweep(Date.now() + 4000);
      assert.equal(server.connections.size, 2, 'nothing is due yet');
      server.sweep(Date.now() + 61_000);
      const [a, b] = await Promise.all([idle, slow]);
      assert.match(a, /^HTTP\/1\.1 200 OK/);
      assert.match(b, /^HTTP\/1\.1 408 /);
      assert.equal(server.connections.size, 0);
    } finally {
      await server.close();
    }
  });

  test('close() stops the server and cuts open connections', async () => {
    const server = new LeanServer(handler, { bodyLimit: 100 });
    await new Promise<void>((r) => server.net.listen(0, '127.0.0.1', r));
    const port = (server.net.address() as { port: number }).port;
    const open = exchange(port, ['GET /o HTTP/1.1\r\nhost: x\r\n\r\n'], undefined);
    await new Promise((r) => setTimeout(r, 50));
    await server.close();
    assert.match(await open, /^HTTP\/1\.1 200 OK/);
  });
});

describe('the node:http engine, kept for comparison', () => {
  test('serves the same handler with keep-alive and the body limit', async () => {
    const listening = await listenHttp(handler, { port: 0, bodyLimit: 1000, engine: 'node' });
    try {
      const out = await exchange(listening.port, [post('/n', 'one'), post('/n', 'z'.repeat(2000)), post('/n', 'three')], (t) => t.includes('POST three'));
      assert.match(out, /POST one/);
      assert.match(out, /HTTP\/1\.1 413 /);
    } finally {
      await listening.close();
    }
  });
});
