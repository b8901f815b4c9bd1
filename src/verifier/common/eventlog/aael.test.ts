import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, concatBytes, toHex } from '../../../core/index.js';
import { fixture } from '../../../../test/support/fixtures.js';
import { encodeAaelEntry, parseAaelText } from './aael.js';
import { eventLogClaims, parseCcEventLog } from './ccel.js';
import { replayRegister } from './replay.js';

describe('encodeAaelEntry', () => {
  test('digests the tagged event data with the documented test vectors', () => {
    // guest-components eventlog tests: text "domain operation content".
    assert.equal(toHex(encodeAaelEntry(4, 'SHA-256', 'domain', 'operation', 'content').digest), '46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351');
    assert.equal(
      toHex(encodeAaelEntry(4, 'SHA-384', 'domain', 'operation', 'content').digest),
      'dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02',
    );
  });

  test('round-trips through the CCEL parser when appended to a firmware log', () => {
    const ccel = fixture('eventlog/CCEL_data_ovmf');
    const base = parseCcEventLog(ccel);
    const last = base.events[base.events.length - 1]!.data;
    const end = last.byteOffset + last.length;
    const { entry } = encodeAaelEntry(4, 'SHA-384', 'github.com/confidential-containers', 'PullImage', '{"image":"busybox","digest":"sha256:00"}');
    const log = parseCcEventLog(concatBytes(ccel.subarray(0, end), entry, new Uint8Array(8).fill(0xff)));
    const claims = eventLogClaims(log);
    const aael = claims[claims.length - 1]!;
    assert.equal(aael.type_name, 'EV_EVENT_TAG');
    assert.equal(aael.index, 4);
    assert.equal(aael.digest_matches_event, true);
    assert.deepEqual(aael.details.data, { domain: 'github.com/confidential-containers', operation: 'PullImage', content: { image: 'busybox', digest: 'sha256:00' } });
    assert.equal(aael.details.unicode_name, 'AAEL');
    assert.notEqual(toHex(replayRegister(log, 4, 'SHA-384')), '0'.repeat(96));
  });

  test('refuses content with a newline and a domain with a space', () => {
    assert.throws(() => encodeAaelEntry(4, 'SHA-384', 'a', 'b', 'x\ny'), MalformedInput);
    assert.throws(() => encodeAaelEntry(4, 'SHA-384', 'a b', 'op', 'x'), MalformedInput);
  });
});

describe('parseAaelText', () => {
  test('keeps non-JSON content as text and splits only at the first two spaces', () => {
    assert.deepEqual(parseAaelText('d op some text here'), { domain: 'd', operation: 'op', content: 'some text here' });
  });

  test('rejects text with fewer than two spaces', () => {
    assert.throws(() => parseAaelText('domain-only'), MalformedInput);
    assert.throws(() => parseAaelText('domain op'), MalformedInput);
  });

  test('round-trips any space-free domain and operation', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z./]{1,12}$/), fc.stringMatching(/^[A-Za-z]{1,12}$/), fc.string({ maxLength: 40 }), (d, o, c) => {
        const parsed = parseAaelText(`${d} ${o} ${c}`);
        assert.equal(parsed.domain, d);
        assert.equal(parsed.operation, o);
      }),
    );
  });
});
