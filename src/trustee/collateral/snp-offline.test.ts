import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fixtureJson } from '../../../test/support/fixtures.js';
import { createVerifier, type SnpVekQuery } from '../../verifier/index.js';
import { loadCollateralDir } from './index.js';
import { snpHwId, snpOfflineVekSource, snpTcbPrefix } from './snp-offline.js';

type Ev = { attestation_report: { chip_id: number[] }; cert_chain: Array<{ data: number[] }> };
const genoa = fixtureJson<Ev>('snp/genoa-evidence.json');
const vcek = new Uint8Array(genoa.cert_chain[0]!.data);
const chipId = new Uint8Array(genoa.attestation_report.chip_id);
const dir = mkdtempSync(join(tmpdir(), 'coco-vcek-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const query: SnpVekQuery = { generation: 'Genoa', chipId, tcb: { bootloader: 10, tee: 0, snp: 23, microcode: 25 } };

describe('snpTcbPrefix', () => {
  test('formats two-digit SPLs and appends FMC only when there is one (upstream cases)', () => {
    assert.equal(snpTcbPrefix({ bootloader: 2, tee: 0, snp: 6, microcode: 21 }), 'bl02_tee00_snp06_ucode21');
    assert.equal(snpTcbPrefix({ bootloader: 3, tee: 1, snp: 8, microcode: 15, fmc: 5 }), 'bl03_tee01_snp08_ucode15_fmc05');
  });
});

describe('snpHwId', () => {
  test('uses the whole chip id, or its first 8 bytes on Turin', () => {
    assert.equal(snpHwId(query).length, 128);
    assert.equal(snpHwId({ ...query, generation: 'Turin' }), snpHwId(query).slice(0, 16));
  });
});

describe('snpOfflineVekSource', () => {
  test('prefers the TCB-specific file, falls back to vcek.der, and answers undefined when absent', async () => {
    const src = snpOfflineVekSource(dir);
    assert.equal(await src.getVek(query), undefined);
    const base = join(dir, 'vcek', snpHwId(query));
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'vcek.der'), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await src.getVek(query), new Uint8Array([1, 2, 3]));
    writeFileSync(join(base, 'bl10_tee00_snp23_ucode25_vcek.der'), vcek);
    assert.deepEqual(await src.getVek(query), vcek);
  });

  test('lets the SNP verifier verify evidence without a certificate table (loaded with --collateral)', async () => {
    const env = await loadCollateralDir(dir);
    assert.ok(env.snpVek);
    const r = await createVerifier('snp', env).evaluate({ ...genoa, cert_chain: null }, {}, new Date('2026-01-01T00:00:00Z'));
    assert.equal(r.checks.find((c) => c.id === 'snp.vek.source')?.actual, 'VCEK from the configured VCEK source');
  });

  test('a directory without vcek/ gives no SNP source', async () => {
    assert.deepEqual(await loadCollateralDir(join(dir, 'nothing')), {});
  });
});
