/**
 * The `KvStore` conformance suite, run against every backend (memory, SQLite, PostgreSQL) so that
 * they behave the same: expiry, overwrite=false, namespaces, prefix listing, sweep with maxEntries,
 * and (for durable backends) persistence across close/reopen.
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { KvStore, Namespace } from '../../src/trustee/storage/kv.js';

export interface KvBackend {
  name: string;
  /** Open a store; the same `id` must reach the same data when the backend is durable. */
  open(id: string, now: () => number): Promise<KvStore>;
  durable: boolean;
  skip?: false | string;
  /** fast-check runs for the model test (network backends use fewer). */
  propertyRuns?: number;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

let counter = 0;
const freshId = (tag: string) => `${tag}_${process.pid}_${++counter}`;

/** A controllable clock starting at a fixed instant. */
function clock() {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

async function withStore(b: KvBackend, fn: (s: KvStore, c: ReturnType<typeof clock>, id: string) => Promise<void>): Promise<void> {
  const c = clock();
  const id = freshId('t');
  const s = await b.open(id, c.now);
  try {
    await fn(s, c, id);
  } finally {
    await s.close();
  }
}

export function kvConformance(b: KvBackend): void {
  const skip = b.skip ?? false;
  describe(`KvStore conformance: ${b.name}`, { skip }, () => {
    test('get of a missing key resolves undefined', () =>
      withStore(b, async (s) => {
        assert.equal(await s.get('repository', 'a/b/c'), undefined);
      }));

    test('set then get returns the same bytes, including empty and all byte values', () =>
      withStore(b, async (s) => {
        const all = new Uint8Array(256).map((_, i) => i);
        assert.equal(await s.set('repository', 'r/t/all', all), true);
        assert.equal(await s.set('repository', 'r/t/empty', new Uint8Array(0)), true);
        assert.deepEqual(await s.get('repository', 'r/t/all'), all);
        assert.deepEqual(await s.get('repository', 'r/t/empty'), new Uint8Array(0));
      }));

    test('a stored value does not alias the caller buffer', () =>
      withStore(b, async (s) => {
        const v = enc('secret');
        await s.set('repository', 'k', v);
        v[0] = 0;
        assert.equal(dec(await s.get('repository', 'k')), 'secret');
      }));

    test('set overwrites by default', () =>
      withStore(b, async (s) => {
        await s.set('kbs', 'resource-policy.rego', enc('one'));
        assert.equal(await s.set('kbs', 'resource-policy.rego', enc('two')), true);
        assert.equal(dec(await s.get('kbs', 'resource-policy.rego')), 'two');
      }));

    test('overwrite=false keeps an existing key and resolves false', () =>
      withStore(b, async (s) => {
        assert.equal(await s.set('kbs', 'p', enc('first'), { overwrite: false }), true);
        assert.equal(await s.set('kbs', 'p', enc('second'), { overwrite: false }), false);
        assert.equal(dec(await s.get('kbs', 'p')), 'first');
      }));

    test('overwrite=false replaces a key that has expired', () =>
      withStore(b, async (s, c) => {
        await s.set('kbs_protocol_session', 's', enc('old'), { expiresAt: c.now() + 1000 });
        c.advance(1000);
        assert.equal(await s.set('kbs_protocol_session', 's', enc('new'), { overwrite: false }), true);
        assert.equal(dec(await s.get('kbs_protocol_session', 's')), 'new');
      }));

    test('an expired key reads as absent, is not listed and cannot be deleted', () =>
      withStore(b, async (s, c) => {
        await s.set('kbs_protocol_session', 'x', enc('v'), { expiresAt: c.now() + 5000 });
        c.advance(4999);
        assert.equal(dec(await s.get('kbs_protocol_session', 'x')), 'v');
        assert.deepEqual(await s.list('kbs_protocol_session'), ['x']);
        c.advance(1);
        assert.equal(await s.get('kbs_protocol_session', 'x'), undefined);
        assert.deepEqual(await s.list('kbs_protocol_session'), []);
        assert.equal(await s.delete('kbs_protocol_session', 'x'), false);
      }));

    test('overwriting without expiresAt clears an earlier expiry', () =>
      withStore(b, async (s, c) => {
        await s.set('kbs_protocol_session', 'x', enc('v1'), { expiresAt: c.now() + 10 });
        await s.set('kbs_protocol_session', 'x', enc('v2'));
        c.advance(1_000_000);
        assert.equal(dec(await s.get('kbs_protocol_session', 'x')), 'v2');
      }));

    test('namespaces are isolated', () =>
      withStore(b, async (s) => {
        await s.set('repository', 'same', enc('repo'));
        await s.set('reference_value', 'same', enc('rv'));
        assert.equal(dec(await s.get('repository', 'same')), 'repo');
        assert.equal(dec(await s.get('reference_value', 'same')), 'rv');
        assert.equal(await s.delete('repository', 'same'), true);
        assert.equal(dec(await s.get('reference_value', 'same')), 'rv');
      }));

    test('delete resolves true only when a key was there', () =>
      withStore(b, async (s) => {
        await s.set('repository', 'd', enc('x'));
        assert.equal(await s.delete('repository', 'd'), true);
        assert.equal(await s.delete('repository', 'd'), false);
        assert.equal(await s.get('repository', 'd'), undefined);
      }));

    test('list returns sorted keys under a prefix, treating % and _ literally', () =>
      withStore(b, async (s) => {
        for (const k of ['default/key/2', 'default/key/1', 'default/cert/1', 'other/key/1', 'a%b/x', 'a_b/y', 'aXb/z']) await s.set('repository', k, enc(k));
        assert.deepEqual(await s.list('repository', 'default/key/'), ['default/key/1', 'default/key/2']);
        assert.deepEqual(await s.list('repository', 'default/'), ['default/cert/1', 'default/key/1', 'default/key/2']);
        assert.deepEqual(await s.list('repository', 'a%'), ['a%b/x']);
        assert.deepEqual(await s.list('repository', 'a_'), ['a_b/y']);
        assert.equal((await s.list('repository')).length, 7);
        assert.deepEqual(await s.list('repository', 'zzz'), []);
      }));

    test('sweep removes expired keys and counts them', () =>
      withStore(b, async (s, c) => {
        await s.set('kbs_protocol_session', 'a', enc('1'), { expiresAt: c.now() + 10 });
        await s.set('kbs_protocol_session', 'b', enc('2'), { expiresAt: c.now() + 20 });
        await s.set('kbs_protocol_session', 'c', enc('3'));
        await s.set('repository', 'r', enc('r'), { expiresAt: c.now() + 10 });
        c.advance(15);
        assert.equal(await s.sweep('kbs_protocol_session'), 1);
        assert.deepEqual(await s.list('kbs_protocol_session'), ['b', 'c']);
        c.advance(100);
        assert.equal(await s.sweep('kbs_protocol_session'), 1);
        assert.equal(await s.sweep('kbs_protocol_session'), 0);
        assert.deepEqual(await s.list('kbs_protocol_session'), ['c']);
      }));

    test('sweep with maxEntries keeps the most recently written keys', () =>
      withStore(b, async (s) => {
        for (let i = 0; i < 10; i++) await s.set('audit', `e${String(i).padStart(2, '0')}`, enc(String(i)));
        await s.set('audit', 'e00', enc('rewritten')); // now the newest
        assert.equal(await s.sweep('audit', 4), 6);
        assert.deepEqual(await s.list('audit'), ['e00', 'e07', 'e08', 'e09']);
        assert.equal(await s.sweep('audit', 4), 0);
        assert.equal(await s.sweep('audit', 0), 4);
        assert.deepEqual(await s.list('audit'), []);
      }));

    test('concurrent writes are all applied', () =>
      withStore(b, async (s) => {
        await Promise.all(Array.from({ length: 40 }, (_, i) => s.set('repository', `c/${i}`, enc(`v${i}`))));
        const keys = await s.list('repository', 'c/');
        assert.equal(keys.length, 40);
        assert.equal(dec(await s.get('repository', 'c/39')), 'v39');
      }));

    // Only durable backends get this test (a memory store forgets on close by design); nothing is skipped.
    if (b.durable) {
      test('data survives close and reopen', async () => {
        const c = clock();
        const id = freshId('restart');
        const s1 = await b.open(id, c.now);
        await s1.set('repository', 'default/key/1', enc('resource'));
        await s1.set('kbs', 'resource-policy.rego', enc('package policy'));
        await s1.set('reference_value', 'svn', enc('["1"]'));
        await s1.set('kbs_protocol_session', 'gone', enc('x'), { expiresAt: c.now() + 1 });
        await s1.close();
        c.advance(10);
        const s2 = await b.open(id, c.now);
        try {
          assert.equal(dec(await s2.get('repository', 'default/key/1')), 'resource');
          assert.equal(dec(await s2.get('kbs', 'resource-policy.rego')), 'package policy');
          assert.equal(dec(await s2.get('reference_value', 'svn')), '["1"]');
          assert.equal(await s2.get('kbs_protocol_session', 'gone'), undefined);
        } finally {
          await s2.close();
        }
      });
    }

    test('behaves like a Map model under random operation sequences', async () => {
      const ns: Namespace[] = ['repository', 'kbs'];
      const key = fc.constantFrom('a', 'a/b', 'a/c', 'b', 'ab', '%', '_x');
      const op = fc.oneof(
        fc.record({ k: fc.constant('set' as const), ns: fc.constantFrom(...ns), key, v: fc.uint8Array({ maxLength: 8 }), ow: fc.boolean(), ttl: fc.option(fc.integer({ min: 1, max: 5 })) }),
        fc.record({ k: fc.constant('get' as const), ns: fc.constantFrom(...ns), key }),
        fc.record({ k: fc.constant('del' as const), ns: fc.constantFrom(...ns), key }),
        fc.record({ k: fc.constant('list' as const), ns: fc.constantFrom(...ns), prefix: fc.constantFrom('', 'a', 'a/', '%', 'z') }),
        fc.record({ k: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3 }) }),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          await withStore(b, async (s, c) => {
            const model = new Map<string, { v: Uint8Array; exp: number | undefined }>();
            const live = (mk: string) => {
              const e = model.get(mk);
              return e && (e.exp === undefined || e.exp > c.now()) ? e : undefined;
            };
            for (const o of ops) {
              if (o.k === 'tick') c.advance(o.ms);
              else if (o.k === 'set') {
                const mk = `${o.ns}\0${o.key}`;
                const exp = o.ttl === null ? undefined : c.now() + o.ttl;
                const expected = o.ow || !live(mk);
                assert.equal(await s.set(o.ns, o.key, o.v, { overwrite: o.ow, ...(exp ? { expiresAt: exp } : {}) }), expected);
                if (expected) model.set(mk, { v: o.v, exp });
              } else if (o.k === 'get') assert.deepEqual(await s.get(o.ns, o.key), live(`${o.ns}\0${o.key}`)?.v);
              else if (o.k === 'del') {
                const mk = `${o.ns}\0${o.key}`;
                assert.equal(await s.delete(o.ns, o.key), live(mk) !== undefined);
                model.delete(mk);
              } else {
                const want = [...model.keys()]
                  .filter((mk) => mk.startsWith(`${o.ns}\0${o.prefix}`) && live(mk))
                  .map((mk) => mk.slice(o.ns.length + 1))
                  .sort();
                assert.deepEqual(await s.list(o.ns, o.prefix), want);
              }
            }
          });
        }),
        { numRuns: b.propertyRuns ?? 60 },
      );
    });
  });
}
