import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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

  test('refuses a bound that is not a positive integer', () => {
    assert.throws(() => new MemorySessionTable(0), RangeError);
    assert.throws(() => new MemorySessionTable(1.5), RangeError);
  });
});
