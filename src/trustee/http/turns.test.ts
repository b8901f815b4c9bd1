import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { listenHttp } from './adapter.js';
import { Turns, TURNS_PER_ITERATION } from './turns.js';

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
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (extra, perIteration) => {
        const turns = new Turns(perIteration);
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

  test('starts at most perIteration turns per loop iteration and polls for I/O before the next ones', async () => {
    for (const perIteration of [1, 4]) {
      const p = await probe();
      try {
        const turns = new Turns(perIteration);
        const seen: number[] = [];
        const all = Array.from({ length: perIteration + 1 }, (_, i) =>
          turns.turn().then(() => {
            seen.push(p.seen());
            if (i === 0) p.client.write('x');
          }),
        );
        await Promise.all(all);
        // The first perIteration turns run back to back; the probe's byte is read before the next one.
        assert.deepEqual(seen, [...Array<number>(perIteration).fill(0), 1]);
      } finally {
        await p.close();
      }
    }
  });

  test('counts the requests still waiting', async () => {
    const turns = new Turns(1);
    const a = turns.turn();
    const b = turns.turn();
    assert.equal(turns.length, 2);
    await a;
    assert.equal(turns.length, 1);
    await b;
    assert.equal(turns.length, 0);
  });

  test('keeps its queue bounded when it never empties', async () => {
    const turns = new Turns(4);
    let left = 20_000;
    const slots = () => (turns as unknown as { waiting: unknown[] }).waiting.length;
    let most = 0;
    // Each turn asks for another, so 50 requests are always waiting, like a server under constant load.
    await new Promise<void>((done) => {
      const ask = (): void => void turns.turn().then(() => (most = Math.max(most, slots()), --left > 0 ? ask() : left === 0 && done()));
      for (let i = 0; i < 50; i++) ask();
    });
    assert.ok(most < 2200, `the queue held ${most} slots`);
  });

  test('refuses a perIteration that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Turns(bad), RangeError);
  });
});

describe('listenHttp', () => {
  test('starts requests read in one poll a few per loop iteration, so I/O that arrives meanwhile is read first', async () => {
    const p = await probe();
    const order: string[] = [];
    const listening = await listenHttp(
      (req) => {
        order.push(`${req.url} probe=${p.seen()}`);
        if (req.url === '/0') p.client.write('x');
        return Promise.resolve({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' });
      },
      { port: 0, bodyLimit: 1024 },
    );
    try {
      let accepted = 0;
      const paths = Array.from({ length: TURNS_PER_ITERATION + 1 }, (_, i) => `/${i}`);
      const allAccepted = new Promise<void>((r) => listening.server.on('connection', () => ++accepted === paths.length && r()));
      const sockets = await Promise.all(
        paths.map(
          (path) =>
            new Promise<{ s: Socket; path: string }>((resolve) => {
              const s = connect(listening.port, '127.0.0.1', () => resolve({ s, path }));
            }),
        ),
      );
      // Once the server has accepted every connection and polled once more (which registers their
      // reads), write all the requests before its next poll, so that it reads them in one batch.
      await allAccepted;
      for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
      const done = sockets.map(({ s }) => new Promise<string>((r) => s.once('data', (d) => r(String(d)))));
      for (const { s, path } of sockets) s.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const replies = await Promise.all(done);
      for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 /);
      assert.deepEqual(order, [...paths.slice(0, -1).map((p) => `${p} probe=0`), `${paths.at(-1)!} probe=1`]);
      for (const { s } of sockets) s.destroy();
    } finally {
      await listening.close();
      await p.close();
    }
  });
});
