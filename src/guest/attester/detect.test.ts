import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture } from '../../../test/support/fixtures.js';
import { fakeTsm } from '../../../test/support/fake-tsm.js';
import { startSwtpm } from '../../../test/support/swtpm.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { HCL_REPORT_NV_INDEX } from './az-vtpm.js';
import { detectAttester } from './detect.js';
import { createAttester, parseAttesterName } from './registry.js';
import { nvDefine, nvWrite } from './tpm/commands.js';
import { openTpm } from './tpm/transport.js';

const none = { tdxDevice: '/nonexistent/tdx', sevGuestDir: '/nonexistent/sev', tpmDevices: ['/nonexistent/tpm'], tsmRoot: '/nonexistent/tsm' };

describe('detectAttester', () => {
  test('never falls back to sample: no TEE is an Unavailable error', async () => {
    await assert.rejects(detectAttester(none), (e: any) => e.code === 'ERR_UNAVAILABLE' && /--attester sample/.test(e.message));
  });

  test('finds TDX and SNP through the configfs-tsm provider', async () => {
    for (const [provider, name] of [['tdx_guest', 'tdx'], ['sev_guest', 'snp']] as const) {
      const t = fakeTsm({ provider, outblob: (i) => i });
      try {
        assert.equal((await detectAttester({ ...none, tsmRoot: t.root, tsmFs: t.fs })).name, name);
        assert.equal(t.live.size, 0);
      } finally {
        t.cleanup();
      }
    }
  });

  test('finds a plain TPM, and an Azure SNP vTPM by its HCL report', { skip: requireTools('swtpm') }, async () => {
    const sw = await startSwtpm();
    try {
      assert.deepEqual(await detectAttester({ ...none, tpm: sw.spec }), { name: 'tpm', tpm: sw.spec });
      const t = await openTpm(sw.spec);
      const hcl = fixture('az-snp-vtpm/hcl-report.bin').subarray(0, 2048);
      await nvDefine(t, HCL_REPORT_NV_INDEX, hcl.length);
      await nvWrite(t, HCL_REPORT_NV_INDEX, hcl);
      await t.close();
      assert.deepEqual(await detectAttester({ ...none, tpm: sw.spec }), { name: 'az-snp-vtpm', tpm: sw.spec });
    } finally {
      await sw.stop();
    }
  });
});

describe('createAttester / parseAttesterName', () => {
  test('builds sample only when named and rejects unknown names', async () => {
    assert.equal((await createAttester('sample')).tee, 'sample');
    assert.throws(() => parseAttesterName('auto'), { code: 'ERR_UNSUPPORTED' });
    assert.throws(() => parseAttesterName('sgx'), { code: 'ERR_UNSUPPORTED' });
  });

  test('reports a missing TPM device as Unavailable', async () => {
    await assert.rejects(createAttester('tpm', { tpm: '/nonexistent/tpmrm0' }), { code: 'ERR_UNAVAILABLE' });
  });
});
