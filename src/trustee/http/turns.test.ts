import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { listenHttp } from './adapter.js';
import { Turns, TURNS_PER_ITERATION } from './turns.js';
import { continuesHandshake } from '../server.js';

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
    const slots = () => (turns as unknown as { normal: { items: unknown[] } }).normal.items.length;
    let most = 0;
    // Each turn asks for another, so 50 requests are always waiting, like a server under constant load.
    await new Promise<void>((done) => {
      const ask = (): void => void turns.turn().then(() => (most = Math.max(most, slots()), --left > 0 ? ask() : left === 0 && done()));
      for (let i = 0; i < 50; i++) ask();
    });
    assert.ok(most < 2200, `the queue held ${most} slots`);
  });

  test('refuses a perIteration that is not a positive integer, and a negative maxPassedOverMs', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Turns(bad), RangeError);
    for (const bad of [-1, Number.NaN]) assert.throws(() => new Turns(4, bad), RangeError);
  });

  test('gives urgent turns before the others waiting with them, each class first come first served (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 6 }), async (urgency, perIteration) => {
        const turns = new Turns(perIteration, 1e9);
        const order: number[] = [];
        await Promise.all(urgency.map((urgent, i) => turns.turn(urgent).then(() => order.push(i))));
        const ids = urgency.map((_, i) => i);
        assert.deepEqual(order, [...ids.filter((i) => urgency[i]), ...ids.filter((i) => !urgency[i])]);
      }),
      { numRuns: 50 },
    );
  });

  test('lets a request that is not urgent go first once it has been passed over for maxPassedOverMs', async () => {
    for (const [waited, expected] of [
      [10, ['u1', 'u2', 'n']],
      [50, ['n', 'u1', 'u2']],
    ] as const) {
      let clock = 0;
      const turns = new Turns(1, 50, () => clock);
      const order: string[] = [];
      const n = turns.turn(false).then(() => order.push('n'));
      clock = waited;
      const u = [turns.turn(true).then(() => order.push('u1')), turns.turn(true).then(() => order.push('u2'))];
      await Promise.all([n, ...u]);
      assert.deepEqual(order, expected, `after ${waited} ms`);
    }
  });
});

/**
 * Connect one socket per path to `listening` and, once the server has accepted them all and polled
 * once more (which registers their reads), write every request before its next poll, so that it reads
 * them in one batch. Resolves with the replies, in path order.
 */
async function oneBatch(listening: Awaited<ReturnType<typeof listenHttp>>, requests: Array<{ method: string; path: string }>): Promise<string[]> {
  let accepted = 0;
  const allAccepted = new Promise<void>((r) => listening.server.on('connection', () => ++accepted === requests.length && r()));
  const sockets = await Promise.all(requests.map(() => new Promise<Socket>((resolve) => { const s = connect(listening.port, '127.0.0.1', () => resolve(s)); })));
  await allAccepted;
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
  const done = sockets.map((s) => new Promise<string>((r) => s.once('data', (d) => r(String(d)))));
  sockets.forEach((s, i) => s.write(`${requests[i]!.method} ${requests[i]!.path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`));
  const replies = await Promise.all(done);
  for (const s of sockets) s.destroy();
  return replies;
}

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
      const paths = Array.from({ length: TURNS_PER_ITERATION + 1 }, (_, i) => `/${i}`);
      const replies = await oneBatch(listening, paths.map((path) => ({ method: 'GET', path })));
      for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 /);
      assert.deepEqual(order, [...paths.slice(0, -1).map((p) => `${p} probe=0`), `${paths.at(-1)!} probe=1`]);
    } finally {
      await listening.close();
      await p.close();
    }
  });

  test('starts the requests its urgent option picks before the others read in the same poll', async () => {
    const order: string[] = [];
    const listening = await listenHttp(
      (req) => {
        order.push(`${req.method} ${req.url}`);
        return Promise.resolve({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' });
      },
      { port: 0, bodyLimit: 1024, urgent: continuesHandshake },
    );
    try {
      const requests = [
        { method: 'POST', path: '/kbs/v0/auth' },
        { method: 'GET', path: '/kbs/v0/resource-policy' },
        { method: 'POST', path: '/kbs/v0/auth' },
        { method: 'GET', path: '/kbs/v0/resource/default/key/1' },
        { method: 'POST', path: '/kbs/v0/attest' },
      ];
      const replies = await oneBatch(listening, requests);
      for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 /);
      // The server reads the batch in an order of epoll's choosing; within each class it keeps that order.
      const urgentFirst = order.slice(0, 2).sort();
      assert.deepEqual(urgentFirst, ['GET /kbs/v0/resource/default/key/1', 'POST /kbs/v0/attest']);
      assert.equal(order.length, requests.length);
    } finally {
      await listening.close();
    }
  });
});

describe('continuesHandshake', () => {
  test('picks attest and resource GETs, not auth, admin reads or resource writes', () => {
    assert.equal(continuesHandshake('POST', '/kbs/v0/attest'), true);
    assert.equal(continuesHandshake('GET', '/kbs/v0/resource/default/key/1'), true);
    for (const [m, u] of [
      ['POST', '/kbs/v0/auth'],
      ['GET', '/kbs/v0/resource'],
      ['POST', '/kbs/v0/resource/default/key/1'],
      ['GET', '/kbs/v0/resource-policy'],
      ['GET', '/kbs/v0/attestation-policy'],
      ['GET', '/metrics'],
      ['GET', '/kbs/v0/attest'],
    ]) {
      assert.equal(continuesHandshake(m!, u!), false, `${m} ${u}`);
    }
  });
});
