import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
