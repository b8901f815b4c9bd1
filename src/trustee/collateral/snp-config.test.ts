import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError, MalformedInput, Unavailable } from '../../core/index.js';
import type { SnpVekQuery, SnpVekSource } from '../../verifier/index.js';
import { firstSnpVekSource, snpVekSourceFromConfig } from './snp-config.js';

const query: SnpVekQuery = { generation: 'Milan', chipId: new Uint8Array(64).fill(1), tcb: { bootloader: 1, tee: 0, snp: 2, microcode: 3 } };
const dir = mkdtempSync(join(tmpdir(), 'coco-snp-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixed = (v: Uint8Array | undefined): SnpVekSource => ({ getVek: async () => v });
const broken: SnpVekSource = { getVek: async () => Promise.reject(new Unavailable('down')) };

describe('firstSnpVekSource', () => {
  test('returns the first answer and skips failing sources', async () => {
    assert.deepEqual(await firstSnpVekSource(fixed(undefined), broken, fixed(new Uint8Array([2]))).getVek(query), new Uint8Array([2]));
  });

  test('reports Unavailable when nobody had it and a source failed, undefined when all simply lacked it', async () => {
    await assert.rejects(firstSnpVekSource(fixed(undefined), broken).getVek(query), Unavailable);
    assert.equal(await firstSnpVekSource(fixed(undefined)).getVek(query), undefined);
  });
});

describe('snpVekSourceFromConfig', () => {
  test('reads an upstream OfflineStore entry with a path, then falls back to KDS', async () => {
    const hw = join(dir, 'vcek', '01'.repeat(64));
    mkdirSync(hw, { recursive: true });
    writeFileSync(join(hw, 'bl01_tee00_snp02_ucode03_vcek.der'), new Uint8Array([9]));
    const calls: string[] = [];
    const src = snpVekSourceFromConfig(
      { vcek_sources: [{ type: 'OfflineStore', path: dir }, { type: 'KDS', base_url: 'https://kds.example' }] },
      { get: async (url) => (calls.push(url), { status: 200, headers: {}, body: new Uint8Array([7]) }) },
    );
    assert.deepEqual(await src.getVek(query), new Uint8Array([9]));
    assert.deepEqual(await src.getVek({ ...query, tcb: { ...query.tcb, snp: 9 } }), new Uint8Array([7]));
    assert.match(calls[0]!, /^https:\/\/kds\.example\/vcek\/v1\/Milan\//);
  });

  test('defaults to AMD KDS and rejects unknown source types', async () => {
    const calls: string[] = [];
    await snpVekSourceFromConfig(undefined, { get: async (url) => (calls.push(url), { status: 404, headers: {}, body: new Uint8Array() }) }).getVek(query);
    assert.match(calls[0]!, /^https:\/\/kdsintf\.amd\.com\/vcek\/v1\/Milan\//);
    assert.throws(() => snpVekSourceFromConfig({ vcek_sources: [{ type: 'Ftp' }] }), ConfigError);
    assert.throws(() => snpVekSourceFromConfig({ vcek_sources: 'KDS' }), MalformedInput);
  });
});
