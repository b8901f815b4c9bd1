import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { concatBytes } from '../../../core/index.js';
import { fixture } from '../../../../test/support/fixtures.js';
import { encodeAaelEntry } from './aael.js';
import { assembleCcEventLog, ccelSpecIdHeader, trimCcel } from './assemble.js';
import { eventLogClaims, parseCcEventLog } from './ccel.js';
import { replayRegister } from './replay.js';

describe('ccelSpecIdHeader', () => {
  test('is the 69-byte SHA-384 + SM3 header and parses as an empty log', () => {
    const h = ccelSpecIdHeader();
    assert.equal(h.length, 69);
    const log = parseCcEventLog(h);
    assert.equal(log.events.length, 0);
    assert.deepEqual([...log.digestSizes], [
      ['SHA-384', 48],
      ['SM3', 32],
    ]);
  });
});

describe('trimCcel', () => {
  test('cuts a 64 KiB ACPI table at the end of its last event', () => {
    const table = fixture('eventlog/CCEL_data_ovmf');
    const used = trimCcel(table);
    assert.ok(used.length < table.length);
    assert.deepEqual(eventLogClaims(parseCcEventLog(used)), eventLogClaims(parseCcEventLog(table)));
  });
});

describe('assembleCcEventLog', () => {
  test('is null without CCEL and AAEL', () => {
    assert.equal(assembleCcEventLog(null, null), null);
  });

  test('appends AAEL entries after the CCEL so both replay', () => {
    const table = fixture('eventlog/CCEL_data_ovmf');
    const a = encodeAaelEntry(4, 'SHA-384', 'github.com/confidential-containers', 'PullImage', 'busybox');
    const b = encodeAaelEntry(4, 'SHA-384', 'github.com/confidential-containers', 'CreateContainer', 'c1');
    const log = parseCcEventLog(assembleCcEventLog(table, concatBytes(a.entry, b.entry))!);
    const aael = log.events.filter((e) => e.details.unicode_name === 'AAEL');
    assert.equal(aael.length, 2);
    assert.equal(Buffer.from(replayRegister(log, 2, 'SHA-384')).toString('hex').slice(0, 8), '775b9f6b');
    assert.notEqual(Buffer.from(replayRegister(log, 4, 'SHA-384')).toString('hex'), '0'.repeat(96));
  });

  test('prepends the Spec ID header when only AAEL exists', () => {
    const a = encodeAaelEntry(4, 'SHA-384', 'd', 'op', 'x');
    const log = parseCcEventLog(assembleCcEventLog(undefined, a.entry)!);
    assert.equal(log.events.length, 1);
    assert.equal(log.events[0]!.digestMatchesEvent, true);
  });
});
