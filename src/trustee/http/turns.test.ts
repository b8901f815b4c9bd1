import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { listenHttp } from './adapter.js';
import { Turns } from './turns.js';

/** A TCP server on loopback that records when bytes reach it, and a client socket to write to it. */
async function probe(): Promise<{ client: Socket; seen: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const server = createServer((s) => s.on('data', (c) => (bytes += c.length)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<void>((r) => server.once('connection', () => r()));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await Promise.all([accepted, new Promise<void>((r) => client.once('connect', r))]);
  return {
    client,
    seen: () => bytes,
    close: () => new Promise<void>((r) => (client.destroy(), server.close(() => r()))),
  };
}

describe('Turns', () => {
  test('gives turns in the order they were asked for, including ones asked for during a turn', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), async (extra) => {
        const turns = new Turns();
        const order: string[] = [];
        const asked: string[] = [];
        const all: Promise<void>[] = [];
        const ask = (name: string, spawn: number) => {
          asked.push(name);
          all.push(
            turns.turn().then(() => {
              order.push(name);
              for (let k = 0; k < spawn; k++) ask(`${name}.${k}`, 0);
            }),
          );
        };
        extra.forEach((n, i) => ask(String(i), n));
        while (order.length < asked.length) await Promise.all(all.slice());
        assert.deepEqual(order, asked);
        assert.equal(turns.length, 0);
      }),
      { numRuns: 50 },
    );
  });

  test('lets the event loop poll for I/O between two turns', async () => {
    const p = await probe();
    try {
      const turns = new Turns();
      let seenAtSecond = -1;
      const first = turns.turn().then(() => p.client.write('x'));
      const second = turns.turn().then(() => (seenAtSecond = p.seen()));
      await Promise.all([first, second]);
      // Handled back to back in one callback, the second turn would run before the probe's bytes are read.
      assert.equal(seenAtSecond, 1);
    } finally {
      await p.close();
    }
  });

  test('counts the requests still waiting', async () => {
    const turns = new Turns();
    const a = turns.turn();
    const b = turns.turn();
    assert.equal(turns.length, 2);
    await a;
    assert.equal(turns.length, 1);
    await b;
    assert.equal(turns.length, 0);
  });
});

describe('listenHttp', () => {
  test('handles requests read in the same poll one per loop iteration, so I/O that arrives meanwhile is read first', async () => {
    const p = await probe();
    const order: string[] = [];
    const listening = await listenHttp(
      (req) => {
        order.push(`${req.url} probe=${p.seen()}`);
        if (req.url === '/a') p.client.write('x');
        return Promise.resolve({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' });
      },
      { port: 0, bodyLimit: 1024 },
    );
    try {
      let accepted = 0;
      const bothAccepted = new Promise<void>((r) => listening.server.on('connection', () => ++accepted === 2 && r()));
      const sockets = await Promise.all(
        ['/a', '/b'].map(
          (path) =>
            new Promise<{ s: Socket; path: string }>((resolve) => {
              const s = connect(listening.port, '127.0.0.1', () => resolve({ s, path }));
            }),
        ),
      );
      // Once the server has accepted both connections and polled once more (which registers their
      // reads), write both requests before its next poll, so that it reads them in one batch.
      await bothAccepted;
      for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
      const done = sockets.map(({ s }) => new Promise<string>((r) => s.once('data', (d) => r(String(d)))));
      for (const { s, path } of sockets) s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const replies = await Promise.all(done);
      for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 /);
      assert.deepEqual(order, ['/a probe=0', '/b probe=1']);
      for (const { s } of sockets) s.destroy();
    } finally {
      await listening.close();
      await p.close();
    }
  });
});
