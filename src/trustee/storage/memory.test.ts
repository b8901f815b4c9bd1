import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from './memory.js';
import { kvConformance } from '../../../test/support/kv-conformance.js';

kvConformance({ name: 'memory', durable: false, open: async (_id, now) => new MemoryStore(now) });

describe('MemoryStore.revision', () => {
  test('changes with every write of a key and is undefined once it is deleted or expired', async () => {
    const clock = { now: 1_000 };
    const s = new MemoryStore(() => clock.now);
    assert.equal(s.revision('kbs', 'p'), undefined);
    await s.set('kbs', 'p', new Uint8Array([1]));
    const r1 = s.revision('kbs', 'p');
    await s.set('kbs', 'other', new Uint8Array([1]));
    assert.equal(s.revision('kbs', 'p'), r1, 'another key does not change it');
    await s.set('kbs', 'p', new Uint8Array([1]));
    assert.notEqual(s.revision('kbs', 'p'), r1, 'the same bytes written again still count as a change');
    await s.delete('kbs', 'p');
    assert.equal(s.revision('kbs', 'p'), undefined);
    await s.set('kbs', 'e', new Uint8Array([1]), { expiresAt: 1_500 });
    assert.notEqual(s.revision('kbs', 'e'), undefined);
    clock.now = 2_000;
    assert.equal(s.revision('kbs', 'e'), undefined);
  });
});
