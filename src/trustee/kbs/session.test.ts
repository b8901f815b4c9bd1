import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkOf } from '../check-tag.js';
import { MemoryStore } from '../storage/memory.js';
import { KvSessionTable, MemorySessionTable, SessionStore, sessionTableFor, type AuthedSession } from './session.js';

const T0 = Date.parse('2026-12-03T08:00:00Z');
const LIFETIME = 5 * 60_000;
const GRACE = 10 * 60_000;
const request = { version: '0.4.0', tee: 'sample' as const, 'extra-params': '' };
const challenge = { nonce: 'bm9uY2U=', 'extra-params': '' };
/** Matches a rejection tagged with audit check `id`. */
const check = (id: string) => (err: unknown) => checkOf(err, 'x') === id;

describe('sessionTableFor', () => {
  test('keeps sessions as objects in memory for a MemoryStore and encodes them into any other store', () => {
    assert.ok(sessionTableFor(new MemoryStore()) instanceof MemorySessionTable);
    const other = Object.assign(Object.create(null) as object, { kind: 'sqlite' }) as unknown as MemoryStore;
    assert.ok(sessionTableFor(other) instanceof KvSessionTable);
  });
});

const clock = { now: T0 };
for (const [name, table] of [
  ['MemorySessionTable', () => new MemorySessionTable()],
  ['KvSessionTable', () => new KvSessionTable(new MemoryStore(() => clock.now))],
] as const) {
  describe(`SessionStore on ${name}`, () => {
    test('creates, finds and attests a session, then refuses it once expired and forgets it after the grace period', async () => {
      clock.now = T0;
      const sessions = new SessionStore(table(), LIFETIME);
      const s = await sessions.create(request, challenge, T0);
      assert.match(s.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(await sessions.require(s.id, T0 + 1), s);
      assert.equal(await sessions.findAttested(s.id, T0 + 1), undefined, 'not attested yet');
      const a = await sessions.attested(s, 'h.p.s', T0 + 2);
      assert.deepEqual(await sessions.findAttested(s.id, T0 + 3), a);
      assert.equal((await sessions.require(s.id, T0 + 3)).state, 'attested');
      await assert.rejects(sessions.require(s.id, T0 + LIFETIME), check('kbs.session.expired'));
      await assert.rejects(sessions.require(s.id, T0 + LIFETIME + 1), check('kbs.session.missing'), 'an expired session is deleted when seen');
      const t = await sessions.create(request, challenge, T0);
      clock.now = T0 + LIFETIME + GRACE;
      await assert.rejects(sessions.require(t.id, T0 + LIFETIME + GRACE), check('kbs.session.missing'), 'forgotten after the grace period');
    });

    test('refuses ids that are not 32 lowercase hex digits', async () => {
      const sessions = new SessionStore(table(), LIFETIME);
      for (const id of [undefined, '', 'A'.repeat(32), 'a'.repeat(31), `${'a'.repeat(31)}g`]) {
        await assert.rejects(sessions.require(id, T0), check('kbs.session.missing'));
        assert.equal(await sessions.findAttested(id, T0), undefined);
      }
    });
  });
}

describe('MemorySessionTable', () => {
  const s = (id: string, expiresAt: number): AuthedSession => ({ state: 'authed', id, request, challenge, expiresAt });

  test('keeps at most its bound, dropping the oldest session first', async () => {
    const t = new MemorySessionTable(3);
    for (const id of ['a', 'b', 'c', 'd']) await t.put(s(id, T0 + LIFETIME), T0 + LIFETIME, T0);
    assert.equal(t.size, 3);
    assert.equal(await t.get('a', T0), undefined);
    assert.equal((await t.get('d', T0))?.id, 'd');
  });

  test('drops forgotten sessions at the front as new ones arrive, with no sweeper', async () => {
    const t = new MemorySessionTable(100);
    for (let i = 0; i < 10; i++) await t.put(s(`old${i}`, T0), T0 + i, T0);
    await t.put(s('new', T0 + 100), T0 + 100, T0 + 50);
    assert.equal(t.size, 1);
  });

  test('an attested session keeps its place in creation order', async () => {
    const t = new MemorySessionTable(2);
    await t.put(s('a', T0), T0 + 10, T0);
    await t.put(s('b', T0), T0 + 10, T0);
    await t.put({ state: 'attested', id: 'a', tee: 'sample', token: 'x', expiresAt: T0 }, T0 + 10, T0);
    await t.put(s('c', T0), T0 + 10, T0);
    assert.equal(await t.get('a', T0), undefined, 'a is still the oldest');
    assert.equal((await t.get('b', T0))?.id, 'b');
  });

  test('returns an attested session with the fields it was stored with, among thousands', async () => {
    const t = new MemorySessionTable(5000);
    const token = 'h.p.' + 's'.repeat(80);
    for (let i = 0; i < 3000; i++) {
      await t.put(s(`id${i}`, T0 + 5), T0 + 10, T0);
      if (i % 2 === 0) await t.put({ state: 'attested', id: `id${i}`, tee: i % 4 === 0 ? 'snp' : 'tdx', token: `${token}${i}`, expiresAt: T0 + 7 }, T0 + 10, T0);
    }
    assert.equal(t.size, 3000);
    assert.deepEqual(await t.get('id8', T0), { state: 'attested', id: 'id8', tee: 'snp', token: `${token}8`, expiresAt: T0 + 7 });
    assert.deepEqual(await t.get('id2998', T0), { state: 'attested', id: 'id2998', tee: 'tdx', token: `${token}2998`, expiresAt: T0 + 7 });
    assert.equal((await t.get('id2999', T0))?.state, 'authed');
    assert.equal(await t.get('id0', T0 + 10), undefined, 'forgotten at keepUntil');
    assert.equal(t.size, 2999, 'and deleted when seen');
  });

  test('behaves like a FIFO list of sessions under any sequence of puts, updates, deletes and reads', async () => {
    type Op = { kind: 'put' | 'attest' | 'delete' | 'get'; id: number; dt: number };
    const op = fc.record({ kind: fc.constantFrom('put', 'put', 'attest', 'delete', 'get'), id: fc.nat(90), dt: fc.nat(3) }) as fc.Arbitrary<Op>;
    await fc.assert(
      // Bounds up to 64, so that the FifoMap's generations (a sixteenth of the bound each) hold one to four sessions.
      fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 5, max: 200 }), fc.array(op, { maxLength: 200 }), async (max, life, ops) => {
        const t = new MemorySessionTable(max);
        // The model: live sessions in creation order; the front goes when forgotten or when full.
        const model: Array<{ id: string; keepUntil: number; state: string }> = [];
        let now = 0;
        for (const o of ops) {
          now += o.dt;
          const id = `s${o.id}`;
          const i = model.findIndex((m) => m.id === id);
          if (o.kind === 'put' || o.kind === 'attest') {
            const keepUntil = now + life;
            if (i >= 0) {
              if (o.kind === 'attest') await t.put({ state: 'attested', id, tee: 'sample', token: `t${o.id}`, expiresAt: now }, keepUntil, now);
              else await t.put(s(id, now), keepUntil, now);
              model[i] = { id, keepUntil, state: o.kind === 'attest' ? 'attested' : 'authed' };
              continue;
            }
            if (o.kind === 'attest') continue;
            while (model.length > 0 && (!(model[0]!.keepUntil > now) || model.length >= max)) model.shift();
            await t.put(s(id, now), keepUntil, now);
            model.push({ id, keepUntil, state: 'authed' });
          } else if (o.kind === 'delete') {
            await t.delete(id);
            if (i >= 0) model.splice(i, 1);
          } else {
            const got = await t.get(id, now);
            const want = i >= 0 && model[i]!.keepUntil > now ? model[i]! : undefined;
            if (i >= 0 && !want) model.splice(i, 1);
            assert.equal(got?.state, want?.state, `get ${id} at ${now}`);
            if (got?.state === 'attested') assert.equal(got.token, `t${o.id}`);
          }
          assert.equal(t.size, model.length);
          assert.ok(t.size <= max);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('refuses a bound that is not a positive integer', () => {
    assert.throws(() => new MemorySessionTable(0), RangeError);
    assert.throws(() => new MemorySessionTable(1.5), RangeError);
  });
});
