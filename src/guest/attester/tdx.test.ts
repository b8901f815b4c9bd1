import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixture, fixturePath } from '../../../test/support/fixtures.js';
import { fakeTsm } from '../../../test/support/fake-tsm.js';
import { digest, fromBase64, toHex } from '../../core/index.js';
import { parseCcEventLog, parseTdxEvidence } from '../../verifier/index.js';
import { aaelEntry, aaelEventData } from '../aael.js';
import { ccelEventsLength } from './ccel.js';
import { buildCcEventlog, mrConfigIdOfQuote, rtmrOfPcr, tdxAttester } from './tdx.js';

const QUOTE = fixture('tdx/tdx_quote_4.dat');
const MRCONFIGID_AT = 48 + 184;

describe('tdxAttester', () => {
  test('returns the configfs quote and the trimmed CCEL as upstream evidence', async () => {
    const seen: Uint8Array[] = [];
    const t = fakeTsm({ provider: 'tdx_guest', outblob: (i) => (seen.push(i), QUOTE) });
    try {
      const a = tdxAttester({ tsmRoot: t.root, fs: t.fs, ccelPath: fixturePath('eventlog/CCEL_data') });
      const rd = digest('sha384', new Uint8Array([1]));
      const ev = (await a.getEvidence(rd)) as { cc_eventlog: string; quote: string };
      assert.deepEqual(Object.keys(ev).sort(), ['cc_eventlog', 'quote']);
      assert.deepEqual(fromBase64(ev.quote), QUOTE);
      assert.equal(seen[0]!.length, 64);
      assert.equal(toHex(seen[0]!.subarray(0, 48)), toHex(rd));
      assert.ok(seen[0]!.subarray(48).every((b) => b === 0));
      const el = fromBase64(ev.cc_eventlog);
      assert.equal(el.length, 9822 + 8);
      const parsed = parseTdxEvidence(ev);
      assert.ok(parsed);
      assert.ok(parseCcEventLog(el).events.length > 0, 'the verifier parses the CCEL the attester sends');
      assert.ok(el.subarray(-8).every((b) => b === 0xff));
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });

  test('appends AAEL entries after the CCEL events', async () => {
    const t = fakeTsm({ provider: 'tdx_guest', outblob: () => QUOTE });
    try {
      const aael = aaelEntry(4, 'sha384', aaelEventData('github.com/confidential-containers', 'PullImage', '{"image":"x"}')).entry;
      const a = tdxAttester({ tsmRoot: t.root, fs: t.fs, ccelPath: fixturePath('eventlog/CCEL_data_ovmf'), readAael: async () => aael });
      const el = fromBase64(((await a.getEvidence(new Uint8Array(48))) as { cc_eventlog: string }).cc_eventlog);
      assert.deepEqual(el.subarray(2120, 2120 + aael.length), aael);
      assert.equal(el.length, 2120 + aael.length + 8);
      const last = parseCcEventLog(el).events.at(-1)!;
      assert.deepEqual([last.index, last.eventType, last.digestMatchesEvent], [4, 6, true]);
    } finally {
      t.cleanup();
    }
  });

  test('has cc_eventlog null without a CCEL and refuses report data over 64 bytes', async () => {
    const t = fakeTsm({ provider: 'tdx_guest', outblob: () => QUOTE });
    try {
      const a = tdxAttester({ tsmRoot: t.root, fs: t.fs, ccelPath: '/nonexistent/CCEL' });
      assert.equal(((await a.getEvidence(new Uint8Array(48))) as { cc_eventlog: unknown }).cc_eventlog, null);
      await assert.rejects(a.getEvidence(new Uint8Array(65)), { code: 'ERR_UNSUPPORTED' });
    } finally {
      t.cleanup();
    }
  });

  test('binds initdata when MRCONFIGID equals the digest and refuses to start otherwise', async () => {
    const d = digest('sha384', new TextEncoder().encode('version = "0.1.0"\nalgorithm = "sha384"\n'));
    const withMr = QUOTE.slice();
    withMr.set(d, MRCONFIGID_AT);
    const t = fakeTsm({ provider: 'tdx_guest', outblob: () => withMr });
    try {
      const a = tdxAttester({ tsmRoot: t.root, fs: t.fs });
      assert.equal(await a.bindInitData(d), 'bound');
      const other = d.slice();
      other[0]! ^= 1;
      await assert.rejects(a.bindInitData(other), { check: 'tdx.init_data' });
    } finally {
      t.cleanup();
    }
  });
});

describe('tdxAttester.extendRuntimeMeasurement', () => {
  test('writes the 48-byte digest to the RTMR file the kernel exposes, and reports a missing one as Unsupported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coco-rtmr-'));
    try {
      writeFileSync(join(dir, 'rtmr3:sha384'), '');
      const a = tdxAttester({ measurementsDir: dir });
      const d = digest('sha384', Uint8Array.of(1));
      await a.extendRuntimeMeasurement!(d, 17);
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'rtmr3:sha384'))), d);
      await assert.rejects(tdxAttester({ measurementsDir: join(dir, 'missing') }).extendRuntimeMeasurement!(d, 17), { code: 'ERR_UNSUPPORTED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mrConfigIdOfQuote', () => {
  test('reads v4 and v5 quotes at their body offsets and refuses others', () => {
    assert.equal(toHex(mrConfigIdOfQuote(QUOTE)), '00'.repeat(48));
    assert.equal(mrConfigIdOfQuote(fixture('tdx/tdx_quote_5.dat')).length, 48);
    assert.throws(() => mrConfigIdOfQuote(fixture('tdx/sgx_occlum_quote.dat')), { where: 'quote.version' });
    assert.throws(() => mrConfigIdOfQuote(QUOTE.subarray(0, 200)), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => mrConfigIdOfQuote(new Uint8Array(1)), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('ccelEventsLength', () => {
  test('stops at the padding of every real CCEL fixture', () => {
    for (const [f, n] of [['CCEL_data', 9822], ['CCEL_data_ovmf', 2120], ['CCEL_data_grub', 15130], ['CCEL_data_gcp', 20349]] as const) {
      const b = fixture(`eventlog/${f}`);
      assert.equal(ccelEventsLength(b), n, f);
      assert.ok(b.subarray(n, n + 8).every((x) => x === 0xff || x === 0));
    }
  });

  test('refuses truncated and corrupted logs with MalformedInput only', () => {
    const b = fixture('eventlog/CCEL_data_ovmf').subarray(0, 2120);
    assert.throws(() => ccelEventsLength(b.subarray(0, 100)), { code: 'ERR_MALFORMED_INPUT' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2119 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = b.slice();
        m[i]! ^= x;
        try {
          assert.ok(ccelEventsLength(m) <= m.length);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'ERR_MALFORMED_INPUT');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('buildCcEventlog / rtmrOfPcr', () => {
  test('maps PCRs to RTMRs as upstream and ends the log with 8 bytes of 0xFF', () => {
    assert.deepEqual([1, 7, 2, 6, 8, 15, 17, 23].map(rtmrOfPcr), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.equal(buildCcEventlog(undefined, Uint8Array.of(1)), null);
    assert.deepEqual(buildCcEventlog(fixture('eventlog/CCEL_data_ovmf'), undefined)!.subarray(-8), new Uint8Array(8).fill(0xff));
  });
});
