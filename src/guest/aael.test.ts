import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteReader, digest, toHex } from '../core/index.js';
import type { Attester } from './attester/attester.js';
import { sampleAttester } from './attester/sample.js';
import { RuntimeMeasurer, aaelEntry, aaelEventData } from './aael.js';

describe('aaelEntry', () => {
  test('reproduces the upstream digest vectors for "domain operation content"', () => {
    const ev = aaelEventData('domain', 'operation', 'content');
    assert.equal(toHex(aaelEntry(17, 'sha256', ev).digest), '46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351');
    assert.equal(
      toHex(aaelEntry(4, 'sha384', ev).digest),
      'dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02',
    );
  });

  test('lays the entry out as TCG2 crypto-agile EV_EVENT_TAG', () => {
    const ev = aaelEventData('d', 'o', 'c');
    const r = new ByteReader(aaelEntry(4, 'sha384', ev).entry, 'entry');
    assert.deepEqual([r.u32le(), r.u32le(), r.u32le(), r.u16le()], [4, 6, 1, 0x0c]);
    r.skip(48);
    assert.equal(r.u32le(), ev.length);
    assert.deepEqual(r.bytesN(ev.length), ev);
    assert.equal(r.remaining, 0);
  });

  test('refuses newlines and empty or spaced domain/operation', () => {
    assert.throws(() => aaelEventData('d', 'o', 'a\nb'), { where: 'content' });
    assert.throws(() => aaelEventData('', 'o', 'c'), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => aaelEventData('a b', 'o', 'c'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('RuntimeMeasurer', () => {
  test('extends the default PCR 17 and keeps the log in extend order', async () => {
    const a = sampleAttester();
    const m = new RuntimeMeasurer({ attester: a, enabled: true });
    assert.deepEqual(await Promise.all([m.extend('x', 'one', '1'), m.extend('x', 'two', '2')]), ['ok', 'ok']);
    const d1 = digest('sha256', aaelEventData('x', 'one', '1'));
    const d2 = digest('sha256', aaelEventData('x', 'two', '2'));
    const pcr1 = digest('sha256', new Uint8Array([...new Uint8Array(32), ...d1]));
    assert.equal(toHex(a.registers.get(17)!), toHex(digest('sha256', new Uint8Array([...pcr1, ...d2]))));
    assert.equal(m.log().length, 2 * (4 + 4 + 4 + 2 + 32 + 4) + aaelEventData('x', 'one', '1').length * 2);
  });

  test('answers not-enabled and not-supported as upstream', async () => {
    assert.equal(await new RuntimeMeasurer({ attester: sampleAttester(), enabled: false }).extend('a', 'b', 'c'), 'not-enabled');
    const bare: Attester = { tee: 'snp', getEvidence: async () => ({}), bindInitData: async () => 'unsupported' };
    assert.equal(await new RuntimeMeasurer({ attester: bare, enabled: true }).extend('a', 'b', 'c'), 'not-supported');
  });
});
