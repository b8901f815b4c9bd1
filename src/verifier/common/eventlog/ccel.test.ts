import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput } from '../../../core/index.js';
import { fixture, fixtureJson } from '../../../../test/support/fixtures.js';
import { eventLogClaims, parseCcEventLog } from './ccel.js';

const CASES = ['CCEL_data', 'CCEL_data_ovmf', 'CCEL_data_grub', 'CCEL_data_grub_gke', 'CCEL_AAEL_alibabacloud'];

describe('parseCcEventLog', () => {
  for (const name of CASES) {
    test(`parses eventlog/${name} to exactly its upstream _out.json`, () => {
      const log = parseCcEventLog(fixture(`eventlog/${name}`));
      const expected = fixtureJson<{ uefi_event_logs: unknown[] }>(`eventlog/${name}_out.json`);
      assert.deepEqual(JSON.parse(JSON.stringify({ uefi_event_logs: eventLogClaims(log) })), expected);
    });
  }

  test('parses the GCP log (no golden output) without error', () => {
    const log = parseCcEventLog(fixture('eventlog/CCEL_data_gcp'));
    assert.ok(log.events.length > 10);
    assert.equal(log.digestSizes.get('SHA-384'), 48);
  });

  test('stops at the all-0xFF tail of the ACPI table and ignores what follows it', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf').slice();
    const a = parseCcEventLog(bytes);
    const last = a.events[a.events.length - 1]!.data;
    const end = last.byteOffset + last.length;
    assert.deepEqual([...bytes.subarray(end, end + 8)], Array(8).fill(0xff));
    bytes.fill(0x42, end + 8);
    assert.equal(parseCcEventLog(bytes).events.length, a.events.length);
  });

  test('rejects a log whose first event is not the Spec ID event', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf').slice();
    bytes[4] = 0x04; // EV_SEPARATOR instead of EV_NO_ACTION
    assert.throws(() => parseCcEventLog(bytes), MalformedInput);
  });

  test('rejects an unknown event type in the body', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf').slice();
    const first = firstEventOffset(bytes);
    bytes[first + 4] = 0x77;
    assert.throws(() => parseCcEventLog(bytes), /unknown event type/);
  });

  test('rejects an unknown digest algorithm', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf').slice();
    const first = firstEventOffset(bytes);
    bytes[first + 12] = 0x55;
    assert.throws(() => parseCcEventLog(bytes), /unknown algorithm/);
  });

  test('rejects a log truncated in the middle of an event', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf');
    const first = firstEventOffset(bytes);
    assert.throws(() => parseCcEventLog(bytes.subarray(0, first + 30)), MalformedInput);
  });

  test('marks an event whose data was changed as not matching its digest', () => {
    const bytes = fixture('eventlog/CCEL_data_ovmf').slice();
    const log = parseCcEventLog(bytes);
    const sep = log.events.findIndex((e) => e.typeName === 'EV_SEPARATOR');
    assert.equal(log.events[sep]!.digestMatchesEvent, true);
    const dataOffset = log.events[sep]!.data.byteOffset;
    bytes[dataOffset] = 0x01;
    assert.equal(parseCcEventLog(bytes).events[sep]!.digestMatchesEvent, false);
  });

  test('never throws anything but MalformedInput on random byte flips and truncations', () => {
    const base = fixture('eventlog/CCEL_AAEL_alibabacloud');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(base.length), (flips, cut) => {
        const b = base.slice(0, Math.max(cut, 1));
        for (const [i, v] of flips) if (i < b.length) b[i] = v;
        try {
          parseCcEventLog(b);
        } catch (e) {
          if (!(e instanceof MalformedInput)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Offset of the first event after the 32 + 4 + spec-id header. */
function firstEventOffset(bytes: Uint8Array): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return 32 + dv.getUint32(28, true);
}
