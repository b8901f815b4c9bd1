import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatAuditRecord } from './audit.js';

describe('formatAuditRecord', () => {
  test('prints one why-line per lowered claim under an attest record', () => {
    const out = formatAuditRecord({
      time: '2026-11-23T08:00:00Z', route: 'attest', outcome: 'ok', status: 200, check: 'kbs.attest', detail: 'attested', tee: 'tpm', earStatus: 'warning', tokenId: '0123456789abcdef',
      explain: [
        { submod: 'cpu0', claim: 'executables', value: 33, policy: 'default_cpu', reason: 'failed', at: 'policy.rego:160:2', expression: 'input.tpm.pcr11 in rv("tpm_pcr11")', operator: 'in', operands: ['"bb"', '["aa"]'], referenceValues: ['tpm_pcr11'] },
        { submod: 'cpu0', claim: 'hardware', value: 97, policy: 'default_cpu', reason: 'default' },
      ],
    });
    assert.equal(out, [
      '2026-11-23T08:00:00Z  ok      attest  200  kbs.attest  [tpm]  attested  status warning  token 0123456789abcdef',
      '    why: cpu0 executables=33: input.tpm.pcr11 in rv("tpm_pcr11") was false [policy.rego:160:2]; operands "bb", ["aa"]; reference values tpm_pcr11',
      '    why: cpu0 hardware=97: no rule of policy default_cpu applied to this evidence (default value)',
    ].join('\n'));
  });

  test('prints the refusing expression and the token that was presented under a resource record', () => {
    const out = formatAuditRecord({
      time: 't', route: 'resource', resource: 'default/key/1', outcome: 'denied', status: 401, check: 'kbs.resource.policy', detail: 'resource policy did not allow the release',
      explain: [{ claim: 'allow', policy: 'resource-policy', reason: 'failed', at: 'policy.rego:6:2', expression: 'input.submods.cpu0["ear.status"] == "affirming"', operands: ['"warning"', '"affirming"'], referenceValues: [] }],
      token: { id: 'abc', status: 'warning', trust: { cpu0: 'warning: executables=33 hardware=2' }, attestation: { requestId: 'r-1', session: '0badcafe' } },
    });
    const lines = out.split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[1], '    why: allow: input.submods.cpu0["ear.status"] == "affirming" was false [policy.rego:6:2]; operands "warning", "affirming"');
    assert.equal(lines[2], '    token abc: warning (cpu0 warning: executables=33 hardware=2); from attest r-1 [0badcafe]');
  });

  test('keeps a record without explanations on one line', () => {
    assert.equal(formatAuditRecord({ time: 't', route: 'auth', outcome: 'error', status: 401, check: 'kbs.version', detail: 'd' }).includes('\n'), false);
  });

  test('never throws on explain and token fields of any shape (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (explain, token) => typeof formatAuditRecord({ time: 't', explain, token }) === 'string'));
    fc.assert(fc.property(fc.array(fc.dictionary(fc.constantFrom('claim', 'value', 'operands', 'referenceValues', 'reason', 'at'), fc.jsonValue())), (explain) => typeof formatAuditRecord({ explain }) === 'string'));
  });
});
