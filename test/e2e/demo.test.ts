/**
 * `npm run demo` as a test: Trustee, guest, both workloads and the refused guest, end to end on
 * loopback. The TPM run needs swtpm (CI installs it); the sample-TEE fallback always runs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { main } from '../../examples/demo.js';
import { requireTools } from '../support/system-tools.js';

async function runDemo(tee: 'tpm' | 'sample') {
  const lines: string[] = [];
  const [log, err] = [console.log, console.error];
  console.log = () => undefined;
  console.error = () => undefined;
  try {
    return { report: await main({ tee, log: (l) => lines.push(l) }), lines };
  } finally {
    [console.log, console.error] = [log, err];
  }
}

describe('demo main()', () => {
  test('runs both workloads on a TPM guest (swtpm) and refuses a guest whose PCR 11 does not match', { skip: requireTools('swtpm'), timeout: 120_000 }, async () => {
    const { report, lines } = await runDemo('tpm');
    assert.equal(report.tee, 'tpm');
    assert.ok(report.analyticsGroups > 0);
    assert.match(report.modelSha256, /^[0-9a-f]{64}$/);
    assert.equal(report.badGuestDenied, true);
    assert.match(report.badGuestReason, /PolicyDeny/);
    assert.ok(lines.some((l) => l.includes('initdata digest extended into PCR 8')));
    assert.ok(lines.includes('\nDemo finished: all checks passed.'));
  });

  test('falls back to the sample TEE with a notice and still refuses a guest with other initdata', { timeout: 120_000 }, async () => {
    const { report, lines } = await runDemo('sample');
    assert.equal(report.tee, 'sample');
    assert.ok(report.analyticsGroups > 0);
    assert.equal(report.badGuestDenied, true);
    assert.match(report.badGuestReason, /PolicyDeny/);
    assert.ok(lines.some((l) => /^NOTICE: .*SAMPLE TEE/.test(l)));
    assert.ok(lines.some((l) => l.includes('a guest with different initdata')));
  });
});
