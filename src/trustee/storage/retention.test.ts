import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from './memory.js';
import { startRetention, sweepOnce } from './retention.js';
import type { KvStore } from './kv.js';

const v = new Uint8Array([1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

describe('sweepOnce', () => {
  test('bounds audit records and removes expired sessions', async () => {
    let t = 1000;
    const s = new MemoryStore(() => t);
    for (let i = 0; i < 50; i++) await s.set('audit', `a${String(i).padStart(3, '0')}`, v);
    for (let i = 0; i < 5; i++) await s.set('kbs_protocol_session', `s${i}`, v, { expiresAt: t + (i < 3 ? 10 : 10_000) });
    t += 100;
    const removed = await sweepOnce(s, [{ ns: 'kbs_protocol_session', maxEntries: 100 }, { ns: 'audit', maxEntries: 20 }]);
    assert.deepEqual(removed, { kbs_protocol_session: 3, audit: 30 });
    assert.equal((await s.list('audit')).length, 20);
    assert.equal((await s.list('audit'))[0], 'a030');
    assert.deepEqual(await s.list('kbs_protocol_session'), ['s3', 's4']);
  });
});

describe('startRetention', () => {
  test('sweeps periodically', async () => {
    const s = new MemoryStore();
    for (let i = 0; i < 10; i++) await s.set('audit', `k${i}`, v);
    const passes: unknown[] = [];
    const h = startRetention(s, [{ ns: 'audit', maxEntries: 3 }], { intervalMs: 10, onSweep: (r) => passes.push(r) });
    await waitFor(() => passes.length >= 2);
    await h.stop();
    assert.deepEqual(passes[0], { audit: 7 });
    assert.deepEqual(passes[1], { audit: 0 });
    assert.equal((await s.list('audit')).length, 3);
  });

  test('backs off on storage errors, doubling up to the maximum, and recovers', async () => {
    let failures = 4;
    const inner = new MemoryStore();
    const flaky: KvStore = Object.assign(Object.create(inner) as KvStore, {
      sweep: async (...a: Parameters<KvStore['sweep']>) => {
        if (failures > 0) {
          failures--;
          throw new Error('database is down');
        }
        return inner.sweep(...a);
      },
    });
    const retries: number[] = [];
    let ok = 0;
    const h = startRetention(flaky, [{ ns: 'audit', maxEntries: 1 }], {
      intervalMs: 5,
      minBackoffMs: 5,
      maxBackoffMs: 12,
      onError: (_e, ms) => retries.push(ms),
      onSweep: () => ok++,
    });
    await waitFor(() => ok >= 1);
    await h.stop();
    assert.deepEqual(retries, [5, 10, 12, 12]);
  });

  test('stop prevents further passes', async () => {
    let passes = 0;
    const h = startRetention(new MemoryStore(), [{ ns: 'audit' }], { intervalMs: 5, onSweep: () => passes++ });
    await h.stop();
    await sleep(30);
    assert.equal(passes, 0);
  });
});
