import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fixture } from '../../../test/support/fixtures.js';
import { fakeTsm } from '../../../test/support/fake-tsm.js';
import { concatBytes, digest, fromHex, toHex } from '../../core/index.js';
import { createVerifier, parseSnpEvidence, type SnpCertEntry } from '../../verifier/index.js';
import { SNP_HOST_DATA_OFFSET, parseSnpCertTable, snpAttester } from './snp.js';

const REPORT = fixture('snp/test-report.bin');
const VCEK = fixture('snp/test-vcek.der');

/** A GHCB certificate table built independently: entries, zero terminator, then the blobs. */
function certTable(entries: Array<[string, Uint8Array]>): Uint8Array {
  const head = 24 * (entries.length + 1);
  let off = head;
  const rows: Uint8Array[] = [];
  for (const [guid, data] of entries) {
    const row = new Uint8Array(24);
    row.set(fromHex(guid.replace(/-/g, '')));
    new DataView(row.buffer).setUint32(16, off, true);
    new DataView(row.buffer).setUint32(20, data.length, true);
    rows.push(row);
    off += data.length;
  }
  return concatBytes(...rows, new Uint8Array(24), ...entries.map(([, d]) => d));
}

describe('parseSnpCertTable', () => {
  test('names VCEK, ASK and ARK by their GHCB GUIDs and keeps unknown ones', () => {
    const t = certTable([
      ['63da758d-e664-4564-adc5-f4b93be8accd', VCEK],
      ['4ab7b379-bbac-4fe4-a02f-05aef327c782', Uint8Array.of(1)],
      ['c0b406a4-a803-4952-9743-3fb6014cd0ae', Uint8Array.of(2)],
      ['11111111-2222-3333-4444-555555555555', Uint8Array.of(3)],
    ]);
    const out = parseSnpCertTable(t);
    assert.deepEqual(out.map((e) => e.certType), ['VCEK', 'ASK', 'ARK', { OTHER: '11111111-2222-3333-4444-555555555555' }]);
    assert.deepEqual(out[0]!.data, VCEK);
  });

  test('refuses entries pointing outside the table and truncated tables', () => {
    const t = certTable([['63da758d-e664-4564-adc5-f4b93be8accd', VCEK]]);
    assert.throws(() => parseSnpCertTable(t.subarray(0, t.length - 1)), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseSnpCertTable(t.subarray(0, 30)), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('throws only MalformedInput on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          parseSnpCertTable(b);
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'ERR_MALFORMED_INPUT');
        }
      }),
    );
  });
});

describe('snpAttester', () => {
  test('passes the report with 64-byte report data and the host certificates to the evidence codec', async () => {
    const t = fakeTsm({
      provider: 'sev_guest',
      auxblob: certTable([['63da758d-e664-4564-adc5-f4b93be8accd', VCEK]]),
      outblob: (i) => {
        const r = REPORT.slice();
        r.set(i, 0x50);
        return r;
      },
    });
    try {
      let got: { report: Uint8Array; certs: SnpCertEntry[] | null } | undefined;
      const a = snpAttester({ tsmRoot: t.root, fs: t.fs, encode: (report, certs) => ((got = { report, certs }), { ok: true }) });
      const rd = digest('sha384', Uint8Array.of(7));
      assert.deepEqual(await a.getEvidence(rd), { ok: true });
      assert.equal(got!.report.length, 1184);
      assert.equal(toHex(got!.report.subarray(0x50, 0x80)), toHex(rd));
      assert.deepEqual(got!.certs!.map((c) => c.certType), ['VCEK']);
      assert.equal(t.live.size, 0);
    } finally {
      t.cleanup();
    }
  });

  test('produces evidence that the project\'s SNP verifier parses and verifies (real report and VCEK)', async () => {
    const t = fakeTsm({ provider: 'sev_guest', auxblob: certTable([['63da758d-e664-4564-adc5-f4b93be8accd', VCEK]]), outblob: () => REPORT });
    try {
      const ev = (await snpAttester({ tsmRoot: t.root, fs: t.fs }).getEvidence(REPORT.subarray(0x50, 0x90))) as Record<string, any>;
      assert.deepEqual(Object.keys(ev), ['attestation_report', 'cert_chain']);
      assert.ok(Array.isArray(ev.attestation_report.report_data) && ev.attestation_report.report_data.length === 64);
      assert.equal(ev.cert_chain[0].cert_type, 'VCEK');
      const parsed = parseSnpEvidence(ev);
      assert.ok(parsed);
      // The fixture is a v2 report, which full appraisal rejects; the signature check comes first and must pass.
      const err = await createVerifier('snp').evaluate(ev, {}, new Date('2024-06-01T00:00:00Z')).then(() => undefined, (e: unknown) => e as { check?: string; trace?: Array<{ id: string; ok: boolean }> });
      const sig = err?.trace?.find((c) => c.id.includes('signature'));
      assert.ok(!err || (sig?.ok ?? true), `signature check failed: ${JSON.stringify(err)}`);
    } finally {
      t.cleanup();
    }
  });

  test('gives cert_chain null when the host provisioned no certificates', async () => {
    const t = fakeTsm({ provider: 'sev_guest', outblob: () => REPORT });
    try {
      let certs: unknown = 'unset';
      await snpAttester({ tsmRoot: t.root, fs: t.fs, encode: (_r, c) => ((certs = c), {}) }).getEvidence(new Uint8Array(48));
      assert.equal(certs, null);
    } finally {
      t.cleanup();
    }
  });

  test('binds initdata against HOST_DATA and refuses a mismatch', async () => {
    const d = digest('sha384', new TextEncoder().encode('initdata'));
    const withHost = REPORT.slice();
    withHost.set(d.subarray(0, 32), SNP_HOST_DATA_OFFSET);
    const t = fakeTsm({ provider: 'sev_guest', outblob: () => withHost });
    try {
      const a = snpAttester({ tsmRoot: t.root, fs: t.fs, encode: () => ({}) });
      assert.equal(await a.bindInitData(d), 'bound');
      await assert.rejects(a.bindInitData(digest('sha384', new Uint8Array(1))), { check: 'snp.init_data' });
    } finally {
      t.cleanup();
    }
  });

  test('refuses a short outblob', async () => {
    const t = fakeTsm({ provider: 'sev_guest', outblob: () => REPORT.subarray(0, 100) });
    try {
      await assert.rejects(snpAttester({ tsmRoot: t.root, fs: t.fs, encode: () => ({}) }).getEvidence(new Uint8Array(48)), { where: 'outblob' });
    } finally {
      t.cleanup();
    }
  });
});
