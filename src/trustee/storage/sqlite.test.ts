import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from './sqlite.js';
import { Unavailable } from '../../core/index.js';
import { kvConformance } from '../../../test/support/kv-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

kvConformance({ name: 'sqlite', durable: true, open: async (id, now) => new SqliteStore({ path: join(dir, `${id}.db`), now }) });

describe('SqliteStore', () => {
  test('opens the database in WAL mode with synchronous=FULL', async () => {
    const s = new SqliteStore({ path: join(dir, 'pragmas.db') });
    const db = (s as unknown as { db: { pragma(q: string, o: { simple: true }): unknown } }).db;
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2); // 2 = FULL
    await s.close();
  });

  test('a resolved write is committed: another connection to the file sees it', async () => {
    const path = join(dir, 'two-connections.db');
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    try {
      const writes = Array.from({ length: 50 }, (_, i) => a.set('repository', `k/${i}`, new Uint8Array([i])));
      assert.equal(await b.get('repository', 'k/0'), undefined); // issued, not yet acknowledged
      await Promise.all(writes);
      assert.deepEqual(await b.list('repository', 'k/'), Array.from({ length: 50 }, (_, i) => `k/${i}`).sort());
      assert.deepEqual(await b.get('repository', 'k/49'), new Uint8Array([49]));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('changeStamp moves with each committed write, ours or another connection\'s, and not with reads', async () => {
    const path = join(dir, 'change-stamp.db');
    const a = new SqliteStore({ path, otherWritersCheckMs: 0 });
    const b = new SqliteStore({ path });
    try {
      const s0 = a.changeStamp();
      await a.get('kbs', 'x');
      await a.list('kbs');
      assert.equal(a.changeStamp(), s0, 'reads change nothing');
      const pending = a.set('kbs', 'x', new Uint8Array([1]));
      assert.equal(a.changeStamp(), s0, 'a write waiting for its group commit is not visible yet');
      await pending;
      const s1 = a.changeStamp();
      assert.notEqual(s1, s0);
      assert.equal(a.changeStamp(), s1, 'stable while nothing is written');
      await b.set('kbs', 'y', new Uint8Array([2])); // another connection, as another process would
      const s2 = a.changeStamp();
      assert.notEqual(s2, s1);
      await b.delete('kbs', 'y');
      assert.notEqual(a.changeStamp(), s2);
      const s3 = a.changeStamp();
      await a.delete('kbs', 'x');
      assert.notEqual(a.changeStamp(), s3);
      const s4 = a.changeStamp();
      await b.sweep('kbs');
      await a.sweep('kbs');
      assert.notEqual(a.changeStamp(), s4, 'a sweep counts as a write');
    } finally {
      await a.close();
      await b.close();
    }
    // Closed: the stamp moves on every call, so a caller reads and gets the store's Unavailable.
    assert.notEqual(a.changeStamp(), a.changeStamp());
    await assert.rejects(a.get('kbs', 'x'), Unavailable);
  });

  test('changeStamp sees another connection\'s commit within otherWritersCheckMs, and its own at once', async () => {
    const path = join(dir, 'change-stamp-interval.db');
    let clock = 1_000_000;
    const a = new SqliteStore({ path, now: () => clock, otherWritersCheckMs: 10 });
    const b = new SqliteStore({ path });
    try {
      const s0 = a.changeStamp();
      await b.set('kbs', 'y', new Uint8Array([2]));
      clock += 9;
      assert.equal(a.changeStamp(), s0, 'not asked again within the interval');
      clock += 1;
      const s1 = a.changeStamp();
      assert.notEqual(s1, s0, 'asked once the interval has passed');
      await a.set('kbs', 'x', new Uint8Array([1]));
      assert.notEqual(a.changeStamp(), s1, 'its own commit counts at once, whatever the interval');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('refuses a negative otherWritersCheckMs', () => {
    for (const bad of [-1, Number.NaN]) assert.throws(() => new SqliteStore({ path: ':memory:', otherWritersCheckMs: bad }), RangeError);
  });

  test('writes of one turn apply in issue order', async () => {
    const s = new SqliteStore({ path: join(dir, 'order.db') });
    const results = await Promise.all([
      s.set('kbs', 'x', new Uint8Array([1])),
      s.set('kbs', 'x', new Uint8Array([2]), { overwrite: false }),
      s.delete('kbs', 'x'),
      s.set('kbs', 'x', new Uint8Array([3]), { overwrite: false }),
    ]);
    assert.deepEqual(results, [true, false, true, true]);
    assert.deepEqual(await s.get('kbs', 'x'), new Uint8Array([3]));
    await s.close();
  });

  test('close flushes writes still waiting for their group commit', async () => {
    const path = join(dir, 'close-flush.db');
    const s = new SqliteStore({ path });
    const p = s.set('kbs', 'late', new Uint8Array([9]));
    await s.close();
    assert.equal(await p, true);
    const again = new SqliteStore({ path });
    assert.deepEqual(await again.get('kbs', 'late'), new Uint8Array([9]));
    await again.close();
  });

  test('creates the database and its WAL readable by the owner only', async () => {
    const path = join(dir, 'private', 'kv.db');
    const s = new SqliteStore({ path });
    await s.set('repository', 'default/key/1', new Uint8Array([1]));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'private')).mode & 0o777, 0o700);
    await s.close();
  });

  test('a file that is not a database fails with Unavailable', () => {
    const p = join(dir, 'garbage.db');
    writeFileSync(p, 'this is not an sqlite file, just some text that is long enough to be a header....');
    assert.throws(() => new SqliteStore({ path: p }), Unavailable);
  });

  test('operations after close reject with Unavailable', async () => {
    const s = new SqliteStore({ path: join(dir, 'closed.db') });
    await s.close();
    await assert.rejects(s.get('kbs', 'x'), Unavailable);
  });

  test('creates missing parent directories of the database file', async () => {
    const s = new SqliteStore({ path: join(dir, 'nested', 'deeper', 'kv.db') });
    await s.set('kbs', 'k', new Uint8Array([1]));
    assert.deepEqual(await s.get('kbs', 'k'), new Uint8Array([1]));
    await s.close();
  });
});
