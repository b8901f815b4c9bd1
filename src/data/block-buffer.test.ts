import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BlockBuffer } from './block-buffer.js';

describe('BlockBuffer', () => {
  test('yields the same blocks and remainder however the input is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 17 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (size, pieces) => {
        const b = new BlockBuffer(size);
        const blocks: number[][] = [];
        for (const p of pieces) b.push(p, (blk) => blocks.push([...blk]));
        const all = pieces.flatMap((p) => [...p]);
        const whole = Math.floor(all.length / size) * size;
        assert.deepEqual(blocks.flat(), all.slice(0, whole));
        assert.ok(blocks.every((blk) => blk.length === size));
        assert.deepEqual([...b.remainder()], all.slice(whole));
        assert.equal(b.buffered, all.length - whole);
      }),
    );
  });
});
