/**
 * `npm run demo`: the whole trust plane on one machine.
 *   1. Trustee on the embedded store; keys, a resource policy and reference values provisioned.
 *   2. A pod-VM guest with the TPM attester on swtpm (or the sample TEE, with a notice, when swtpm
 *      is not installed) attests and runs both seed workloads end to end.
 *   3. A guest whose measurements do not match gets nothing.
 * `main()` is exported for test/e2e/demo.test.ts.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toBase64, toHex } from '../src/core/index.js';
import { buildInitData } from '../src/data/index.js';
import { initDataDigest, pcr8AfterInitData } from '../src/protocol/index.js';
import { findTool } from '../test/support/system-tools.js';
import { startSwtpm } from '../test/support/swtpm.js';
import { BOOT_PCR, measurementOf, startDemoGuest, type DemoTee } from './demo/guest-side.js';
import { demoResourcePolicy, referenceValueMessage, startDemoTrustee } from './demo/trustee-side.js';
import { runAnalyticsWorkload, runModelWorkload, type Ctx } from './demo/workloads.js';

export interface DemoReport {
  tee: DemoTee;
  analyticsGroups: number;
  modelSha256: string;
  badGuestDenied: boolean;
  badGuestReason: string;
}

const GOOD_IMAGE = 'coco-ts pod VM image v1 (kernel + rootfs + kata-agent)';
const BAD_IMAGE = 'pod VM image with a modified kata-agent';

export async function main(opts: { tee?: DemoTee; log?: (line: string) => void } = {}): Promise<DemoReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const step = (t: string) => log(`\n▶ ${t}`);
  const ok = (t: string) => log(`  ✓ ${t}`);
  const tee: DemoTee = opts.tee ?? (findTool('swtpm') ? 'tpm' : 'sample');
  if (tee === 'sample') {
    log(`NOTICE: ${opts.tee ? 'as requested' : 'swtpm is not installed, so'} the guest uses the SAMPLE TEE (no hardware root of`);
    log('        trust, development only). Install swtpm (apt-get install swtpm) to run the demo on a real TPM.');
  }
  const work = mkdtempSync(join(tmpdir(), 'coco-demo-'));
  const blobDir = join(work, 'blob-store');
  mkdirSync(blobDir);
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(work, { recursive: true, force: true })];
  try {
    step('Trustee (KBS + AS + RVPS) on the embedded SQLite store');
    const trustee = await startDemoTrustee(work);
    cleanups.unshift(() => trustee.close());
    ok(`listening on ${trustee.url}; admin API behind an ES256 bearer key`);

    const blob = createServer((req, res) => {
      try {
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(join(blobDir, (req.url ?? '/').slice(1).replace(/[^A-Za-z0-9._-]/g, ''))));
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => blob.listen(0, '127.0.0.1', r));
    cleanups.unshift(() => new Promise<void>((r) => blob.close(() => r())));
    const blobUrl = `http://127.0.0.1:${(blob.address() as { port: number }).port}`;

    step('initdata for the pods: which Trustee to trust, plus the agent policy');
    const { toml: initDataToml } = buildInitData({ kbsUrl: trustee.url, policyRego: readFileSync(join(import.meta.dirname, '..', 'deploy', 'examples', 'agent-policy.rego'), 'utf8') });
    const initDigest = initDataDigest(initDataToml);
    ok(`sha384 digest ${Buffer.from(initDigest).toString('hex').slice(0, 32)}… (the pod annotation carries base64(gzip(TOML)))`);

    step(`guest boots (${tee === 'tpm' ? 'TPM attester on swtpm' : 'sample TEE'}): measured boot into PCR ${BOOT_PCR}, initdata bound`);
    let tpmSpec: string | undefined;
    if (tee === 'tpm') {
      const swtpm = await startSwtpm();
      cleanups.unshift(swtpm.stop);
      tpmSpec = swtpm.spec;
    }
    const guest = await startDemoGuest({ tee, tpmSpec, kbsUrl: trustee.url, initDataToml, bootImage: GOOD_IMAGE, log: ok });
    cleanups.unshift(() => guest.close());

    step('provisioning: resource policy and reference values');
    // The AS copies the TEE's init-data claim up: PCR 8 (hex) on a TPM, the digest (base64) on the sample TEE.
    const policy = demoResourcePolicy(tee === 'tpm' ? toHex(pcr8AfterInitData(initDigest)) : toBase64(initDigest));
    expectOk(await trustee.admin('POST', '/kbs/v0/resource-policy', { policy: Buffer.from(policy).toString('base64url') }), 'resource policy');
    if (tee === 'tpm') {
      // AK enrolment: the platform owner records the vTPM's attestation key when the VM is created.
      const evidence = (await guest.attester.getEvidence(new Uint8Array(32))) as { ak_public: string; tpm_quote: { pcrs: string[] } };
      expectOk(await trustee.admin('POST', '/kbs/v0/reference-value', referenceValueMessage({ tpm_pcr11: [evidence.tpm_quote.pcrs[BOOT_PCR]], trusted_aks: [evidence.ak_public] })), 'reference values');
      ok(`reference values: PCR ${BOOT_PCR} of the approved image, the enrolled AK`);
    } else {
      expectOk(await trustee.admin('POST', '/kbs/v0/reference-value', referenceValueMessage({ svn: ['1'], launch_digest: ['abcde'], major_version: 1, minimum_minor_version: 1 })), 'reference values');
      ok('reference values for the sample TEE');
    }
    ok('policy: release only to affirming attestations that carry the agreed initdata');

    const ctx: Ctx = { kbsUrl: trustee.url, adminTokenFile: trustee.adminTokenFile, blobUrl, blobDir, work, step, ok };
    const analytics = await runAnalyticsWorkload(ctx, guest);
    const model = await runModelWorkload(ctx, guest);

    step(tee === 'tpm' ? 'a guest whose PCRs do not match asks for the same key' : 'a guest with different initdata asks for the same key (the sample TEE has no PCRs)');
    let bad;
    if (tee === 'tpm') {
      await guest.attester.extendRuntimeMeasurement?.(measurementOf(BAD_IMAGE), BOOT_PCR);
      bad = await startDemoGuest({ tee, attester: guest.attester, kbsUrl: trustee.url, initDataToml });
    } else {
      const evil = buildInitData({ kbsUrl: trustee.url, policyRego: 'package agent_policy\ndefault ExecProcessRequest := true\n' }).toml;
      bad = await startDemoGuest({ tee, kbsUrl: trustee.url, initDataToml: evil });
    }
    cleanups.unshift(() => bad.close());
    const res = await fetch(`${bad.apiUrl}/cdh/resource/default/analytics/party-a-key`);
    const reason = (await res.text()).slice(0, 200);
    const denied = res.status !== 200;
    if (denied) ok(`refused (${/PolicyDeny[^\n]*/.exec(reason)?.[0] ?? `HTTP ${res.status}`}); Trustee released nothing`);
    else log('  ✗ the mismatching guest received a key — this must never happen');
    log(`\nDemo finished: ${denied ? 'all checks passed' : 'FAILED'}.`);
    return { tee, analyticsGroups: analytics.groups.length, modelSha256: model.sha256, badGuestDenied: denied, badGuestReason: reason };
  } finally {
    for (const c of cleanups) await c().catch(() => undefined);
  }
}

function expectOk(r: { status: number; text: string }, what: string): void {
  if (r.status !== 200) throw new Error(`${what}: Trustee answered ${r.status} ${r.text}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (r) => process.exit(r.badGuestDenied ? 0 : 1),
    (err: Error) => {
      console.error(`demo failed: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
