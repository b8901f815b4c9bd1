import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../core/index.js';
import { createVerifier, encodeTdxEvidence } from '../../verifier/index.js';
import { fixture, fixturePath, fixtureText } from '../../../test/support/fixtures.js';
import { tdxCollateralSource } from './tdx-source.js';

const dir = mkdtempSync(join(tmpdir(), 'tdx-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tdxCollateralSource', () => {
  test('reads a file:// directory', async () => {
    const src = await tdxCollateralSource(pathToFileURL(fixturePath('tdx')).href);
    assert.ok(await src.getCollateral('00a06d080000', 'platform'));
  });

  test('reads a file:// Intel PCS client tool JSON file', async () => {
    const file = join(dir, 'collateral.json');
    const tool = {
      collaterals: {
        tcbinfos: [{ fmspc: '00a06d080000', tdx_tcbinfo: JSON.parse(fixtureText('tdx/tcbInfo.json')) }],
        tdqeidentity: JSON.parse(fixtureText('tdx/enclaveIdentity.json')),
        pckcacrl: {},
        certificates: {},
      },
    };
    writeFileSync(file, JSON.stringify(tool));
    const src = await tdxCollateralSource(pathToFileURL(file).href, { update: 'standard' });
    const c = await src.getCollateral('00A06D080000', 'platform');
    assert.equal(c?.tcbInfo, JSON.stringify(JSON.parse(fixtureText('tdx/tcbInfo.json'))));
    // Re-serialised compact JSON keeps Intel's signed bytes, so the signatures still verify.
    const r = await createVerifier('tdx', { tdxCollateral: src }).evaluate(encodeTdxEvidence(fixture('tdx/tdx_quote_6.dat')), {}, new Date('2025-11-01T00:00:00Z'));
    assert.equal(r.claims.tcb_status, 'OutOfDate');
  });

  test('builds a PCS client for https:// and refuses other schemes and missing paths', async () => {
    assert.equal(typeof (await tdxCollateralSource('https://pccs.example:8081/sgx/certification/v4/')).getCollateral, 'function');
    await assert.rejects(tdxCollateralSource('http://pccs.example/'), ConfigError);
    await assert.rejects(tdxCollateralSource('file:///nonexistent/collateral.json'), ConfigError);
  });
});
