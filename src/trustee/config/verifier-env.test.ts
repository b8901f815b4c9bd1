import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../core/index.js';
import { verifierEnvFromConfig } from './verifier-env.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-verifier-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const refused = (cfg: Record<string, unknown>, key: RegExp) =>
  assert.rejects(verifierEnvFromConfig(cfg), (e: unknown) => e instanceof ConfigError && key.test(e.key ?? ''));

describe('verifierEnvFromConfig', () => {
  test('defaults to KDS for SNP and Intel PCS for TDX', async () => {
    const env = await verifierEnvFromConfig({});
    assert.equal(typeof env.snpVek?.getVek, 'function');
    assert.ok(env.tdxCollateral);
  });

  test('accepts upstream snp_verifier and dcap_verifier settings', async () => {
    const env = await verifierEnvFromConfig({
      snp_verifier: { vcek_sources: [{ type: 'OfflineStore', path: dir }, { type: 'KDS', base_url: 'https://kds.example' }] },
      dcap_verifier: { collateral_service: pathToFileURL(dir).href, tcb_update_type: 'standard' },
    });
    assert.ok(env.snpVek && env.tdxCollateral);
  });

  test('refuses unknown keys and values with a ConfigError naming the key', async () => {
    await refused({ sgx_verifier: {} }, /verifier_config\.sgx_verifier$/);
    await refused({ snp_verifier: { vcek_sources: [{ type: 'Cache' }] } }, /vcek_sources\[0\]\.type$/);
    await refused({ dcap_verifier: { tcb_update_type: 'late' } }, /tcb_update_type$/);
    await refused({ dcap_verifier: { collateral_service: 'ftp://x' } }, /collateral_service$/);
    await refused({ dcap_verifier: { collateral_service: pathToFileURL(join(dir, 'absent')).href } }, /collateral_service$/);
  });
});
