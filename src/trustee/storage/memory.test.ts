import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryStore } from './memory.js';
import { kvConformance } from '../../../test/support/kv-conformance.js';

kvConformance({ name: 'memory', durable: false, open: async (_id, now) => new MemoryStore(now) });

describe('MemoryStore.changeStamp', () => {
  test('moves with every write, delete and sweep that changes something, and not with reads', async () => {
    const clock = { now: 1_000 };
    const s = new MemoryStore(() => clock.now);
    const s0 = s.changeStamp();
    await s.get('kbs', 'p');
    await s.list('kbs');
    assert.equal(s.changeStamp(), s0, 'reads change nothing');
    await s.set('kbs', 'p', new Uint8Array([1]));
    const s1 = s.changeStamp();
    assert.notEqual(s1, s0);
    await s.set('kbs', 'p', new Uint8Array([1]));
    assert.notEqual(s.changeStamp(), s1, 'the same bytes written again still count as a change');
    const s2 = s.changeStamp();
    assert.equal(await s.set('kbs', 'p', new Uint8Array([2]), { overwrite: false }), false);
    assert.equal(s.changeStamp(), s2, 'a refused insert changes nothing');
    await s.delete('kbs', 'p');
    const s3 = s.changeStamp();
    assert.notEqual(s3, s2);
    await s.delete('kbs', 'p');
    assert.equal(s.changeStamp(), s3, 'deleting a missing key changes nothing');
    await s.set('kbs', 'e', new Uint8Array([1]), { expiresAt: 1_500 });
    const s4 = s.changeStamp();
    clock.now = 2_000;
    assert.equal(s.changeStamp(), s4, 'expiry with time does not move it');
    assert.equal(await s.sweep('kbs'), 1);
    assert.notEqual(s.changeStamp(), s4, 'a sweep that removed a key does');
  });
});
