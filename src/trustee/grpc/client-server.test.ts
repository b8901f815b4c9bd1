import assert from 'node:assert/strict';
import { connect, constants } from 'node:http2';
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MalformedInput, NotFound, VerificationFailed } from '../../core/index.js';
import {
  GrpcStatus,
  encodeMessage,
  frameMessage,
  type MessageSchema,
} from '../../protocol/index.js';
import { GrpcClient } from './client.js';
import { GrpcError, statusOf } from './errors.js';
import { serveGrpc, type GrpcListening } from './server.js';

const ECHO: MessageSchema = { name: 'test.Echo', fields: [{ no: 1, name: 'text', type: 'string' }] };

let server: GrpcListening;
const failures: string[] = [];

before(async () => {
  server = await serveGrpc(
    [
      { path: '/test.Svc/Echo', request: ECHO, response: ECHO, handle: async (r) => ({ text: `echo ${r.text as string}` }) },
      { path: '/test.Svc/Slow', request: ECHO, response: ECHO, handle: () => new Promise((done) => setTimeout(() => done({ text: 'late' }), 400)) },
      { path: '/test.Svc/Missing', request: ECHO, response: ECHO, handle: async () => Promise.reject(new NotFound('no such thing: ü')) },
      { path: '/test.Svc/Denied', request: ECHO, response: ECHO, handle: async () => Promise.reject(new VerificationFailed('x.check', 'evidence check x failed')) },
      { path: '/test.Svc/Code', request: ECHO, response: ECHO, handle: async () => Promise.reject(new GrpcError(GrpcStatus.ABORTED, 'as upstream')) },
      { path: '/test.Svc/Bug', request: ECHO, response: ECHO, handle: async () => Promise.reject(new TypeError('secret internals')) },
    ],
    { port: 0, maxMessageBytes: 1024, onError: (path, code) => failures.push(`${path} ${code}`) },
  );
});

after(async () => {
  await server.close();
});

/** A raw HTTP/2 POST to the server: status, gRPC status and message. */
function rawCall(path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; grpcStatus?: string; grpcMessage?: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(server.url);
    const req = s.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let status = 0;
    let grpc: { grpcStatus?: string; grpcMessage?: string } = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      if (h['grpc-status'] !== undefined) grpc = { grpcStatus: String(h['grpc-status']), grpcMessage: String(h['grpc-message'] ?? '') };
    });
    req.on('trailers', (h) => (grpc = { grpcStatus: String(h['grpc-status']), grpcMessage: String(h['grpc-message'] ?? '') }));
    req.on('data', () => {});
    req.on('error', reject);
    req.on('close', () => {
      s.close();
      resolve({ status, ...grpc });
    });
    req.end(body);
  });
}

describe('gRPC transport over real HTTP/2', () => {
  test('a unary call returns the decoded response', async () => {
    const c = new GrpcClient(server.url);
    try {
      assert.deepEqual(await c.unary('/test.Svc/Echo', ECHO, { text: 'hi' }, ECHO), { text: 'echo hi' });
      // Several calls in flight share the one HTTP/2 session.
      const all = await Promise.all(Array.from({ length: 20 }, (_, i) => c.unary('/test.Svc/Echo', ECHO, { text: `#${i}` }, ECHO)));
      all.forEach((r, i) => assert.equal(r.text, `echo #${i}`));
    } finally {
      c.close();
    }
  });

  test('handler errors arrive as the gRPC status of their class, with the message percent-decoded', async () => {
    const c = new GrpcClient(server.url);
    try {
      const code = async (path: string) => c.unary(path, ECHO, {}, ECHO).then(() => assert.fail('expected an error'), (e: unknown) => e as GrpcError);
      const missing = await code('/test.Svc/Missing');
      assert.ok(missing instanceof GrpcError);
      assert.equal(missing.code, GrpcStatus.NOT_FOUND);
      assert.equal(missing.message, 'no such thing: ü');
      assert.equal((await code('/test.Svc/Denied')).code, GrpcStatus.PERMISSION_DENIED);
      assert.equal((await code('/test.Svc/Code')).code, GrpcStatus.ABORTED);
      const bug = await code('/test.Svc/Bug');
      assert.equal(bug.code, GrpcStatus.INTERNAL);
      assert.equal(bug.message, 'internal error', 'a handler bug does not leak its details');
      const unknown = await code('/test.Svc/Nope');
      assert.equal(unknown.code, GrpcStatus.UNIMPLEMENTED);
      assert.match(unknown.toString(), /^UNIMPLEMENTED: unknown method \/test\.Svc\/Nope$/);
      assert.ok(failures.includes(`/test.Svc/Nope ${GrpcStatus.UNIMPLEMENTED}`), 'failures reach onError');
    } finally {
      c.close();
    }
  });

  test('a call past its deadline is cancelled with DEADLINE_EXCEEDED', async () => {
    const c = new GrpcClient(server.url, { timeoutMs: 100 });
    try {
      // The handler answers after 400 ms: DEADLINE_EXCEEDED means the 100 ms deadline cut the call (no timing assertion).
      await assert.rejects(c.unary('/test.Svc/Slow', ECHO, {}, ECHO), (e: unknown) => e instanceof GrpcError && e.code === GrpcStatus.DEADLINE_EXCEEDED);
      // The session stays usable.
      assert.equal((await c.unary('/test.Svc/Echo', ECHO, { text: 'after' }, ECHO)).text, 'echo after');
    } finally {
      c.close();
    }
  });

  test('the server enforces the grpc-timeout the client sends', async () => {
    const r = await rawCall('/test.Svc/Slow', frameMessage(new Uint8Array(0)), { 'grpc-timeout': '50m' });
    assert.equal(r.grpcStatus, String(GrpcStatus.DEADLINE_EXCEEDED));
    const bad = await rawCall('/test.Svc/Echo', frameMessage(new Uint8Array(0)), { 'grpc-timeout': 'soon' });
    assert.equal(bad.grpcStatus, String(GrpcStatus.INVALID_ARGUMENT));
  });

  test('a server that is not there gives UNAVAILABLE', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = new GrpcClient(`http://127.0.0.1:${port}`, { timeoutMs: 2000 });
    try {
      await assert.rejects(c.unary('/test.Svc/Echo', ECHO, {}, ECHO), (e: unknown) => e instanceof GrpcError && e.code === GrpcStatus.UNAVAILABLE);
    } finally {
      c.close();
    }
  });

  test('bodies that are not one well-formed message are INVALID_ARGUMENT; oversized ones RESOURCE_EXHAUSTED', async () => {
    const garbage = await rawCall('/test.Svc/Echo', frameMessage(Uint8Array.of(0x0a, 0x05, 0x61)));
    assert.equal(garbage.grpcStatus, String(GrpcStatus.INVALID_ARGUMENT));
    assert.match(decodeURIComponent(garbage.grpcMessage!), /test\.Echo\.text/);
    const compressed = frameMessage(new Uint8Array(0));
    compressed[0] = 1;
    assert.equal((await rawCall('/test.Svc/Echo', compressed)).grpcStatus, String(GrpcStatus.INVALID_ARGUMENT));
    const twoMessages = Uint8Array.from([...frameMessage(new Uint8Array(0)), ...frameMessage(new Uint8Array(0))]);
    assert.equal((await rawCall('/test.Svc/Echo', twoMessages)).grpcStatus, String(GrpcStatus.INVALID_ARGUMENT));
    const big = await rawCall('/test.Svc/Echo', frameMessage(new Uint8Array(2048)));
    assert.equal(big.grpcStatus, String(GrpcStatus.RESOURCE_EXHAUSTED));
  });

  test('a request that is not gRPC gets an HTTP error', async () => {
    assert.equal((await rawCall('/test.Svc/Echo', new Uint8Array(0), { 'content-type': 'application/json' })).status, 415);
    const get = await new Promise<number>((resolve, reject) => {
      const s = connect(server.url);
      const req = s.request({ ':method': 'GET', ':path': '/test.Svc/Echo' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.on('close', () => s.close());
      req.end();
    });
    assert.equal(get, 405);
  });

  test('a client stream reset mid-call does not disturb the server', async () => {
    const s = connect(server.url);
    const req = s.request({ ':method': 'POST', ':path': '/test.Svc/Slow', 'content-type': 'application/grpc', te: 'trailers' });
    req.on('error', () => {});
    req.end(frameMessage(new Uint8Array(0)));
    await new Promise((r) => setTimeout(r, 50));
    req.close(constants.NGHTTP2_CANCEL);
    s.close();
    await new Promise((r) => setTimeout(r, 400));
    const c = new GrpcClient(server.url);
    assert.equal((await c.unary('/test.Svc/Echo', ECHO, { text: 'still' }, ECHO)).text, 'echo still');
    c.close();
  });

  test('a client keeps working across a restart of its server on the same port', async () => {
    const echo = [{ path: '/test.Svc/Echo', request: ECHO, response: ECHO, handle: async (r: Record<string, unknown>) => ({ text: `v ${r.text as string}` }) }];
    const first = await serveGrpc(echo, { port: 0 });
    const c = new GrpcClient(first.url, { timeoutMs: 5000 });
    try {
      assert.equal((await c.unary('/test.Svc/Echo', ECHO, { text: '1' }, ECHO)).text, 'v 1');
      await first.close();
      const second = await serveGrpc(echo, { port: first.port });
      try {
        // The old session is gone (GOAWAY, then closed): the next call opens a new one.
        let answer: string | undefined;
        for (let i = 0; i < 3 && answer === undefined; i++) {
          answer = await c.unary('/test.Svc/Echo', ECHO, { text: '2' }, ECHO).then(
            (r) => r.text as string,
            (e: unknown) => (assert.ok(e instanceof GrpcError && e.code === GrpcStatus.UNAVAILABLE, String(e)), undefined),
          );
        }
        assert.equal(answer, 'v 2');
      } finally {
        await second.close();
      }
    } finally {
      c.close();
    }
  });

  test('addresses must be http:// or https:// URLs', () => {
    assert.throws(() => new GrpcClient('127.0.0.1:50004'), MalformedInput);
    assert.throws(() => new GrpcClient('ftp://as:1'), MalformedInput);
    assert.equal(new GrpcClient('http://as:50004/').target, 'http://as:50004');
    for (const timeoutMs of [0, -1, NaN, Infinity, 2 ** 31]) assert.throws(() => new GrpcClient('http://as:1', { timeoutMs }), MalformedInput);
    assert.throws(() => new GrpcClient('http://as:1', { tls: { ca: 'x' } }), /https:\/\//, 'TLS settings on a cleartext address would be ignored');
    assert.throws(() => new GrpcClient('https://as:1', { tls: { cert: 'x' } }), MalformedInput);
    assert.equal(new GrpcClient('https://as:1', { tls: { ca: 'x', cert: 'y', key: 'z' } }).target, 'https://as:1');
  });
});

describe('statusOf', () => {
  test('maps each error class to a gRPC status, and anything else to INTERNAL without details', () => {
    assert.deepEqual(statusOf(new MalformedInput('bad', { where: 'x' })), { code: GrpcStatus.INVALID_ARGUMENT, message: 'bad' });
    assert.equal(statusOf(new NotFound('gone')).code, GrpcStatus.NOT_FOUND);
    assert.equal(statusOf(new VerificationFailed('c', 'no')).code, GrpcStatus.PERMISSION_DENIED);
    assert.deepEqual(statusOf(new Error('stack and secrets')), { code: GrpcStatus.INTERNAL, message: 'internal error' });
  });
});

describe('gRPC transport limits', () => {
  test('a grpc-timeout beyond what a timer can hold is no deadline, not an immediate one', async () => {
    // The handler takes 400 ms: a timer overflowing to 1 ms would have cut it.
    const r = await rawCall('/test.Svc/Slow', frameMessage(encodeMessage(ECHO, { text: 'x' })), { 'grpc-timeout': '999H' });
    assert.equal(r.grpcStatus, '0');
  });

  test('error messages are clipped on the wire and in the log, and the connection survives a huge one', async () => {
    const logged: string[] = [];
    const s = await serveGrpc([{ path: '/t.S/Big', request: ECHO, response: ECHO, handle: async (r) => Promise.reject(new MalformedInput(`bad: ${r.text as string}`)) }], {
      port: 0,
      onError: (_p, _c, m) => logged.push(m),
    });
    const c = new GrpcClient(s.url);
    try {
      const big = 'x'.repeat(300_000);
      const err = await c.unary('/t.S/Big', ECHO, { text: big }, ECHO).then(() => undefined, (e: unknown) => e as GrpcError);
      assert.ok(err instanceof GrpcError);
      assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT, 'still the handler status, not a broken stream');
      assert.ok(err.message.length < 1200, `${err.message.length} characters`);
      assert.match(err.message, /more characters\)$/);
      assert.ok(logged.every((m) => m.length < 1200));
      const next = await c.unary('/t.S/Big', ECHO, { text: 'small' }, ECHO).then(() => undefined, (e: unknown) => e as GrpcError);
      assert.equal(next?.message, 'bad: small');
    } finally {
      c.close();
      await s.close();
    }
  });

  test('a request body that never ends is cut after the body timeout; close() does not wait for it forever', async () => {
    const s = await serveGrpc([{ path: '/t.S/E', request: ECHO, response: ECHO, handle: async () => ({}) }], { port: 0, bodyTimeoutMs: 200, closeGraceMs: 200, maxConcurrentStreams: 4 });
    const session = connect(s.url);
    try {
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      assert.equal(session.remoteSettings.maxConcurrentStreams, 4);
      const stuck = session.request({ ':method': 'POST', ':path': '/t.S/E', 'content-type': 'application/grpc' });
      stuck.on('error', () => {});
      stuck.write(Uint8Array.of(0, 0, 0, 0, 9)); // announces 9 bytes, sends none, never ends
      const code = await new Promise<number>((resolve) => stuck.on('close', () => resolve(stuck.rstCode)));
      assert.notEqual(code, 0, 'reset by the server');
      const again = session.request({ ':method': 'POST', ':path': '/t.S/E', 'content-type': 'application/grpc' });
      again.on('error', () => {});
      again.write(Uint8Array.of(0));
      // close() cuts the still-open call after its 200 ms grace (without the cut it would wait forever).
      const outcome = await Promise.race([s.close().then(() => 'closed'), new Promise((r) => setTimeout(r, 10_000, 'still waiting').unref())]);
      assert.equal(outcome, 'closed');
    } finally {
      session.destroy();
    }
  });

  test('a connection that silently stops carrying data is dropped after a missed deadline', async () => {
    const s = await serveGrpc([{ path: '/t.S/E', request: ECHO, response: ECHO, handle: async (r) => ({ text: r.text }) }], { port: 0 });
    // A TCP relay whose existing connections can be frozen (as a firewall that drops an idle flow would).
    const frozen = new Set<Socket>();
    let connections = 0;
    const relay = createServer((client) => {
      connections++;
      const upstream = netConnect(s.port, '127.0.0.1');
      client.on('data', (d) => frozen.has(client) || upstream.write(d));
      upstream.on('data', (d) => frozen.has(client) || client.write(d));
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      sockets.add(client);
    });
    const sockets = new Set<Socket>();
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const c = new GrpcClient(`http://127.0.0.1:${(relay.address() as { port: number }).port}`, { timeoutMs: 10_000, pingTimeoutMs: 200 });
    try {
      assert.equal((await c.unary('/t.S/E', ECHO, { text: '1' }, ECHO)).text, '1');
      for (const k of sockets) frozen.add(k);
      await assert.rejects(c.unary('/t.S/E', ECHO, { text: '2' }, ECHO, { timeoutMs: 300 }), (e: unknown) => e instanceof GrpcError && e.code === GrpcStatus.DEADLINE_EXCEEDED);
      await new Promise((r) => setTimeout(r, 400)); // the ping goes unanswered
      assert.equal((await c.unary('/t.S/E', ECHO, { text: '3' }, ECHO)).text, '3', 'a new connection');
      assert.equal(connections, 2);
    } finally {
      c.close();
      for (const k of sockets) k.destroy();
      relay.close();
      await s.close();
    }
  });
});
