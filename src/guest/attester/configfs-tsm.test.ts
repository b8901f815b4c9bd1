import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fakeTsm } from '../../../test/support/fake-tsm.js';
import { tsmProviderIs, tsmReport } from './configfs-tsm.js';

describe('tsmReport', () => {
  test('writes inblob, reads outblob and removes its report directory', async () => {
    const t = fakeTsm({ provider: 'tdx_guest', outblob: (i) => Uint8Array.from([...i].reverse()) });
    try {
      const r = await tsmReport({ provider: 'tdx_guest', root: t.root, fs: t.fs }, Uint8Array.of(1, 2, 3));
      assert.deepEqual(r.outblob, Uint8Array.of(3, 2, 1));
      assert.equal(r.auxblob, undefined);
      assert.equal(t.created.length, 1);
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });

  test('refuses another provider and still removes the directory', async () => {
    const t = fakeTsm({ provider: 'sev_guest', outblob: (i) => i });
    try {
      await assert.rejects(tsmReport({ provider: 'tdx_guest', root: t.root, fs: t.fs }, new Uint8Array(64)), { code: 'ERR_UNSUPPORTED' });
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });

  test('detects an inblob write conflict through generation', async () => {
    const t = fakeTsm({ provider: 'tdx_guest', outblob: (i) => i, generationStep: 2 });
    try {
      await assert.rejects(tsmReport({ provider: 'tdx_guest', root: t.root, fs: t.fs }, new Uint8Array(64)), { code: 'ERR_CONFLICT' });
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });

  test('reports a missing configfs tree as Unavailable', async () => {
    await assert.rejects(tsmReport({ provider: 'tdx_guest', root: '/nonexistent/tsm/report' }, new Uint8Array(64)), { code: 'ERR_UNAVAILABLE' });
    assert.equal(await tsmProviderIs('tdx_guest', '/nonexistent/tsm/report'), false);
  });

  test('tsmProviderIs probes the provider', async () => {
    const t = fakeTsm({ provider: 'sev_guest', outblob: (i) => i });
    try {
      assert.equal(await tsmProviderIs('sev_guest', t.root, t.fs), true);
      assert.equal(await tsmProviderIs('tdx_guest', t.root, t.fs), false);
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });
});
