/**
 * Conformance over regorus' interpreter cases (`rego/interpreter/**.yaml`): prints the pass rate
 * and fails below 95 %. Regorus-only extension cases are listed in test/rego/not-applicable.ts.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parseCases, runCase } from '../src/cli/rego-cases.js';
import { fixturePath, fixtureText } from './support/fixtures.js';
import { notApplicable } from './rego/not-applicable.js';

const ROOT = fixturePath('rego/interpreter');

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out);
    else if (name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

describe('rego conformance (regorus interpreter cases)', () => {
  test('at least 95 % of the applicable cases pass', (t) => {
    let pass = 0;
    let fail = 0;
    let skipped = 0;
    let na = 0;
    const failures: string[] = [];
    for (const abs of yamlFiles(ROOT)) {
      const file = relative(ROOT, abs);
      for (const c of parseCases(fixtureText(`rego/interpreter/${file}`))) {
        if (notApplicable(file, c.note)) {
          na++;
          continue;
        }
        let outcome;
        try {
          outcome = runCase(c);
        } catch (err) {
          outcome = { note: c.note, status: 'fail' as const, detail: `runner crashed: ${(err as Error).message}` };
        }
        if (outcome.status === 'pass') pass++;
        else if (outcome.status === 'skip') skipped++;
        else {
          fail++;
          failures.push(`${file} :: ${c.note} :: ${(outcome.detail ?? '').slice(0, 160)}`);
        }
      }
    }
    const rate = pass / (pass + fail);
    t.diagnostic(`rego conformance: ${pass}/${pass + fail} applicable cases pass (${(rate * 100).toFixed(1)} %); ${na} not applicable, ${skipped} skipped upstream`);
    for (const f of failures) t.diagnostic(`failing: ${f}`);
    console.log(`rego conformance: ${pass}/${pass + fail} = ${(rate * 100).toFixed(1)} % (${na} N/A, ${skipped} skipped upstream)`);
    assert.ok(rate >= 0.95, `pass rate ${(rate * 100).toFixed(1)} % is below 95 %`);
  });
});
