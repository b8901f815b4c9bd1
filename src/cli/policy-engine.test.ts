/** `coco policy eval` and `coco policy test`, run as the real binary. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO_ROOT } from '../../test/support/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function coco(...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/coco.mjs'), 'policy', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const policy = join(dir, 'p.rego');
writeFileSync(policy, 'package p\nimport rego.v1\nallow if {\n  input.user == "alice"\n  input.level > 3\n}\nbig := 12345678901234567890 + 1\n');
const input = join(dir, 'in.json');
writeFileSync(input, JSON.stringify({ user: 'alice', level: 2 }));

describe('coco policy eval', () => {
  test('prints the JSON value of the query', () => {
    const r = coco('eval', '--policy', policy, '--input', input, 'input.level + 1');
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), '3');
  });
  test('prints undefined and the failing expression with --explain', () => {
    const r = coco('eval', '--policy', policy, '--input', input, '--explain', 'data.p.allow');
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), 'undefined');
    assert.match(r.err, /explain: data\.p\.allow \(.*p\.rego:3:1\) failed at .*p\.rego:5:3: > \[2, 3\]/);
  });
  test('writes big integers exactly', () => {
    assert.equal(coco('eval', '-p', policy, 'data.p.big').out.trim(), '12345678901234567891');
  });
  test('exits 1 with the position of a parse error', () => {
    const bad = join(dir, 'bad.rego');
    writeFileSync(bad, 'package p\nx := [1,\n');
    const r = coco('eval', '--policy', bad, 'data.p.x');
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.rego:3:1/);
  });
  test('answers a host function from a JSON file with --lookup', () => {
    const p = join(dir, 'rv.rego');
    writeFileSync(p, 'package p\nimport rego.v1\nok if input.d in query_reference_value("digests")\nmissing := query_reference_value("nope")\n');
    const rvs = join(dir, 'rvs.json');
    writeFileSync(rvs, JSON.stringify({ digests: ['aa', 'bb'] }));
    const inp = join(dir, 'd.json');
    writeFileSync(inp, JSON.stringify({ d: 'bb' }));
    assert.equal(coco('eval', '-p', p, '--lookup', `query_reference_value=${rvs}`, '-i', inp, 'data.p.ok').out.trim(), 'true');
    assert.equal(coco('eval', '-p', p, '--lookup', `query_reference_value=${rvs}`, 'data.p.missing').out.trim(), 'null');
  });
  test('exits 2 on a usage error', () => {
    assert.equal(coco('eval', 'data.p.x').code, 2);
  });
});

describe('coco policy test', () => {
  test('prints one line per failing case and the totals, and fails when a case fails', () => {
    const cases = join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      [
        'cases:',
        '  - note: passes',
        '    data: {}',
        '    modules: ["package t\\nx := 1"]',
        '    query: data.t.x',
        '    want_result: 1',
        '  - note: fails',
        '    data: {}',
        '    modules: ["package t\\nx := 1"]',
        '    query: data.t.x',
        '    want_result: 2',
        '  - note: set result',
        '    data: {}',
        '    modules: ["package t\\ns := {2, 1}"]',
        '    query: data.t.s',
        '    want_result:',
        '      set!: [1, 2]',
      ].join('\n'),
    );
    const r = coco('test', cases);
    assert.equal(r.code, 1);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^FAIL cases\.yaml: fails: want \[2\], got \[1\]/);
    assert.equal(lines[1], '2 passed, 1 failed');
  });
  test('exits 0 when every case passes', () => {
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'cases:\n  - note: ok\n    data: {}\n    modules: ["package t\\nx := 1"]\n    query: data.t.x\n    want_result: 1\n');
    const r = coco('test', ok);
    assert.equal(r.code, 0);
    assert.equal(r.out.trim(), '1 passed, 0 failed');
  });
});
