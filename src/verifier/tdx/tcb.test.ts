import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VerificationFailed } from '../../core/index.js';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import { CheckTrace } from '../common/check-trace.js';
import { commonName, toX509 } from './chain.js';
import { parseQeIdentity, parseTcbInfo, type TcbStatus } from './collateral.js';
import { parsePlatformInfo, splitPemCertificates } from './pck.js';
import { parseTdQuote } from './quote.js';
import { evaluateTcb, matchPlatformLevel } from './tcb.js';

function setup() {
  const quote = parseTdQuote(fixture('tdx/tdx_quote_6.dat'));
  const certs = toX509(splitPemCertificates(quote.pckChainPem), 'pck');
  const platform = parsePlatformInfo(new Uint8Array(certs[0]!.raw), commonName(certs[1]!));
  return { quote, platform, info: parseTcbInfo(fixtureText('tdx/tcbInfo.json')), qe: parseQeIdentity(fixtureText('tdx/enclaveIdentity.json')) };
}

function failsWith(fn: () => unknown, check: string): void {
  assert.throws(fn, (e: unknown) => e instanceof VerificationFailed && e.check === check);
}

describe('matchPlatformLevel', () => {
  test('skips a level whose PCE SVN the platform does not meet', () => {
    const { info, platform, quote } = setup();
    assert.equal(platform.pceSvn, 11);
    assert.equal(matchPlatformLevel(info, platform, quote.body.teeTcbSvn)?.tcbStatus, 'OutOfDate');
    platform.pceSvn = 13;
    assert.equal(matchPlatformLevel(info, platform, quote.body.teeTcbSvn)?.tcbStatus, 'UpToDate');
  });

  test('finds no level when an SGX component is below every level', () => {
    const { info, platform, quote } = setup();
    platform.tcbComponents[7] = 1; // SEAMLDR ACM below 2
    assert.equal(matchPlatformLevel(info, platform, quote.body.teeTcbSvn), undefined);
  });

  test('compares TDX components from byte 2 when a TDX module major version is present', () => {
    const { info, platform, quote } = setup();
    const svn = quote.body.teeTcbSvn.slice();
    svn[0] = 0; // minor module version below the level's 5: ignored, judged by the module identity
    assert.ok(matchPlatformLevel(info, platform, svn));
    svn[2] = 1; // TDX late microcode update below 2
    assert.equal(matchPlatformLevel(info, platform, svn), undefined);
  });
});

describe('evaluateTcb', () => {
  test('gives UpToDate when the platform meets the newest level and QE and module are current', () => {
    const { info, qe, quote, platform } = setup();
    platform.pceSvn = 13;
    const r = evaluateTcb(info, qe, quote, platform, new CheckTrace());
    assert.equal(r.status, 'UpToDate');
    assert.equal(r.tcbDate.toISOString(), '2024-03-13T00:00:00.000Z');
  });

  const converge: [TcbStatus, TcbStatus][] = [
    ['UpToDate', 'OutOfDate'],
    ['SWHardeningNeeded', 'OutOfDate'],
    ['ConfigurationNeeded', 'OutOfDateConfigurationNeeded'],
    ['ConfigurationAndSWHardeningNeeded', 'OutOfDateConfigurationNeeded'],
  ];
  for (const [platformStatus, expected] of converge) {
    test(`converges platform ${platformStatus} with an out-of-date QE to ${expected}`, () => {
      const { info, qe, quote, platform } = setup();
      platform.pceSvn = 13;
      info.tcbLevels[0]!.tcbStatus = platformStatus;
      qe.tcbLevels = [
        { ...qe.tcbLevels[0]!, isvSvn: 99 },
        { ...qe.tcbLevels[0]!, isvSvn: 1, tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-00001'] },
      ];
      const r = evaluateTcb(info, qe, quote, platform, new CheckTrace());
      assert.equal(r.status, expected);
      assert.deepEqual(r.advisoryIds, ['INTEL-SA-00001']);
    });
  }

  test('converges an out-of-date TDX module identity level', () => {
    const { info, qe, quote, platform } = setup();
    platform.pceSvn = 13;
    info.tdxModuleIdentities[0]!.tcbLevels = [{ ...info.tdxModuleIdentities[0]!.tcbLevels[0]!, isvSvn: 2, tcbStatus: 'OutOfDate' }];
    assert.equal(evaluateTcb(info, qe, quote, platform, new CheckTrace()).status, 'OutOfDate');
  });

  test('fails tdx.tcb.status for a revoked platform level', () => {
    const { info, qe, quote, platform } = setup();
    info.tcbLevels[1]!.tcbStatus = 'Revoked';
    failsWith(() => evaluateTcb(info, qe, quote, platform, new CheckTrace()), 'tdx.tcb.status');
  });

  test('fails tdx.tcb.module when TCB info has no identity for the module major version', () => {
    const { info, qe, quote, platform } = setup();
    info.tdxModuleIdentities = info.tdxModuleIdentities.filter((m) => m.id !== 'TDX_03');
    failsWith(() => evaluateTcb(info, qe, quote, platform, new CheckTrace()), 'tdx.tcb.module');
  });

  test('fails tdx.qe_identity for another MRSIGNER and for an ISVSVN below every level', () => {
    const a = setup();
    a.qe.mrSigner = new Uint8Array(32);
    failsWith(() => evaluateTcb(a.info, a.qe, a.quote, a.platform, new CheckTrace()), 'tdx.qe_identity');
    const b = setup();
    b.qe.tcbLevels = [{ ...b.qe.tcbLevels[0]!, isvSvn: 50 }];
    failsWith(() => evaluateTcb(b.info, b.qe, b.quote, b.platform, new CheckTrace()), 'tdx.qe_identity');
  });

  test('fails tdx.tcb.level when no level matches', () => {
    const { info, qe, quote, platform } = setup();
    platform.pceSvn = 1;
    failsWith(() => evaluateTcb(info, qe, quote, platform, new CheckTrace()), 'tdx.tcb.level');
  });
});

describe('evaluateTcb on a TD 1.5 report (TD relaunch)', () => {
  /** Launched on TDX_03 minor SVN 1 (out of date), running on minor SVN 3 (the newest level). */
  function relaunchSetup(svn2: number[] | null = [3, 3, 2]) {
    const s = setup();
    s.platform.pceSvn = 13;
    const ident = s.info.tdxModuleIdentities.find((m) => m.id === 'TDX_03')!;
    ident.tcbLevels = [ident.tcbLevels[0]!, { ...ident.tcbLevels[0]!, isvSvn: 0, tcbStatus: 'OutOfDate', advisoryIds: ['INTEL-SA-01111'] }];
    s.quote.body.teeTcbSvn = Uint8Array.from([1, 3, 2, ...new Array(13).fill(0)]);
    if (svn2) s.quote.body.teeTcbSvn2 = Uint8Array.from([...svn2, ...new Array(16 - svn2.length).fill(0)]);
    return s;
  }
  const statusOf = (s: ReturnType<typeof relaunchSetup>, trace = new CheckTrace()) => evaluateTcb(s.info, s.qe, s.quote, s.platform, trace).status;

  test('advises a relaunch when only the launch-time module is out of date and the current one meets the newest level', () => {
    const s = relaunchSetup();
    const trace = new CheckTrace();
    const r = evaluateTcb(s.info, s.qe, s.quote, s.platform, trace);
    assert.equal(r.status, 'TDRelaunchAdvised');
    assert.deepEqual(r.advisoryIds, ['INTEL-SA-01111']);
    assert.match(trace.records.find((c) => c.id === 'tdx.tcb.status')!.detail!, /^TDRelaunchAdvised /);
  });

  test('keeps OutOfDate without TEE_TCB_SVN2, or when the current module or microcode SVN is still behind', () => {
    assert.equal(statusOf(relaunchSetup(null)), 'OutOfDate');
    assert.equal(statusOf(relaunchSetup([2, 3, 2])), 'OutOfDate');
    assert.equal(statusOf(relaunchSetup([3, 3, 1])), 'OutOfDate');
  });

  test('adds ConfigurationNeeded when the SGX or TDX side needs configuration', () => {
    const s = relaunchSetup();
    s.info.tcbLevels[0]!.tcbStatus = 'ConfigurationNeeded';
    assert.equal(statusOf(s), 'TDRelaunchAdvisedConfigurationNeeded');
  });

  test('gives no relaunch status when the QE or the SGX side is out of date', () => {
    const qe = relaunchSetup();
    qe.qe.tcbLevels = [{ ...qe.qe.tcbLevels[0]!, isvSvn: 99 }, { ...qe.qe.tcbLevels[0]!, isvSvn: 1, tcbStatus: 'OutOfDate' }];
    assert.equal(statusOf(qe), 'OutOfDate');
    const sgx = relaunchSetup();
    sgx.platform.pceSvn = 11; // meets only the older, OutOfDate level
    assert.equal(statusOf(sgx), 'OutOfDate');
  });

  test('judges a current module of major version 0 against the newest TCB level', () => {
    assert.equal(statusOf(relaunchSetup([5, 0, 2])), 'TDRelaunchAdvised');
    assert.equal(statusOf(relaunchSetup([4, 0, 2])), 'OutOfDate');
  });

  test('fails tdx.tcb.module when TCB info has no identity for the current module', () => {
    failsWith(() => statusOf(relaunchSetup([3, 4, 2])), 'tdx.tcb.module');
  });

  test('a TD 1.5 quote whose module was not updated (tdx_quote_5: SVN2 = SVN) is judged as before', () => {
    const q5 = parseTdQuote(fixture('tdx/tdx_quote_5.dat'));
    assert.deepEqual(q5.body.teeTcbSvn2, q5.body.teeTcbSvn);
    const s = relaunchSetup();
    s.quote.body.teeTcbSvn2 = s.quote.body.teeTcbSvn.slice();
    assert.equal(statusOf(s), 'OutOfDate');
  });
});
