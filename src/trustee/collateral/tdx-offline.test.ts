import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../core/index.js';
import { createVerifier, encodeTdxEvidence } from '../../verifier/index.js';
import { fixture, fixturePath, fixtureText } from '../../../test/support/fixtures.js';
import { loadTdxCollateralDir, offlineTdxCollateral, tdxCollateralFromDir } from './tdx-offline.js';

const AS_OF = new Date('2025-11-01T00:00:00Z');
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tdx-collateral-'));
  dirs.push(d);
  return d;
}

describe('loadTdxCollateralDir', () => {
  test('recognises TCB info and QE identity by content in the shared fixtures directory', async () => {
    const c = await loadTdxCollateralDir(fixturePath('tdx'));
    assert.deepEqual([...c.tcbInfo.keys()], ['00a06d080000']);
    assert.equal(c.qeIdentity, fixtureText('tdx/enclaveIdentity.json'));
    assert.equal(c.tcbSigningChain, undefined);
  });

  test('reads an Intel PCS client tool file (early TCB info preferred, issuer chain URL-decoded, CRLs hex)', async () => {
    const d = tempDir();
    const tcb = JSON.parse(fixtureText('tdx/tcbInfo.json'));
    const qe = JSON.parse(fixtureText('tdx/enclaveIdentity.json'));
    const tool = {
      collaterals: {
        tcbinfos: [{ fmspc: '00A06D080000', tdx_tcbinfo: { ...tcb, signature: '00' }, tdx_tcbinfo_early: tcb }],
        tdqeidentity: qe,
        pckcacrl: { processorCrl: '0102', platformCrl: '0304' },
        certificates: { 'TCB-Info-Issuer-Chain': encodeURIComponent('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n'), 'SGX-Enclave-Identity-Issuer-Chain': '' },
        rootcacrl: '0506',
      },
    };
    writeFileSync(join(d, 'collateral.json'), JSON.stringify(tool));
    const c = await loadTdxCollateralDir(d);
    assert.equal(c.tcbInfo.get('00a06d080000'), JSON.stringify(tcb));
    assert.ok(c.tcbSigningChain?.startsWith('-----BEGIN CERTIFICATE-----\n'));
    assert.deepEqual([...c.platformCrl!], [3, 4]);
    const std = await loadTdxCollateralDir(d, 'standard');
    assert.match(std.tcbInfo.get('00a06d080000')!, /"signature":"00"/);
  });

  test('fails with ConfigError for a missing directory or malformed hex CRL', async () => {
    await assert.rejects(loadTdxCollateralDir('/nonexistent/collateral'), ConfigError);
    const d = tempDir();
    writeFileSync(join(d, 'tool.json'), JSON.stringify({ collaterals: { tcbinfos: [], rootcacrl: 'zz' } }));
    await assert.rejects(loadTdxCollateralDir(d), ConfigError);
  });
});

describe('offlineTdxCollateral', () => {
  test('answers only for the FMSPC it has, case-insensitively', async () => {
    const src = offlineTdxCollateral(await loadTdxCollateralDir(fixturePath('tdx')));
    assert.ok(await src.getCollateral('00A06D080000', 'platform'));
    assert.equal(await src.getCollateral('50806f000000', 'platform'), undefined);
  });

  test('lets the tdx verifier evaluate tdx_quote_6 from the fixture directory as of a date in its window', async () => {
    const v = createVerifier('tdx', { tdxCollateral: await tdxCollateralFromDir(fixturePath('tdx')) });
    const r = await v.evaluate(encodeTdxEvidence(fixture('tdx/tdx_quote_6.dat')), {}, AS_OF);
    assert.equal(r.claims.tcb_status, 'OutOfDate');
  });

  test('uses DIR/tdx when the collateral directory has one (next to DIR/vcek for SNP)', async () => {
    const d = tempDir();
    mkdirSync(join(d, 'tdx'));
    mkdirSync(join(d, 'vcek'));
    writeFileSync(join(d, 'tdx', 'tcb.json'), fixtureText('tdx/tcbInfo.json'));
    writeFileSync(join(d, 'tdx', 'qe.json'), fixtureText('tdx/enclaveIdentity.json'));
    const src = await tdxCollateralFromDir(d);
    assert.ok(await src.getCollateral('00a06d080000', 'processor'));
  });
});
