/**
 * Real Kata agent policies (Rego v0): every recorded agent request, evaluated in order on one
 * compiled policy, gives the recorded decision. Print output is compared and reported, not asserted.
 */
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fixtureJson, fixturePath, fixtureText } from '../../test/support/fixtures.js';
import { compile } from './index.js';

/** `["ep":"Name",{...}],` → [name, input]. */
function parseKataInputLine(line: string): [string, unknown] {
  const fixed = line.trim().replace(/^\["ep":/, '[').replace(/,$/, '');
  const parsed = JSON.parse(fixed) as [string, unknown];
  assert.equal(typeof parsed[0], 'string');
  return parsed;
}

const cases = readdirSync(fixturePath('rego/kata')).filter((d) => statSync(fixturePath(`rego/kata/${d}`)).isDirectory());

describe('Policy.evalJson on Kata agent policies', () => {
  test('the fixture set has the 12 upstream cases', () => {
    assert.equal(cases.length, 12);
  });
  for (const name of cases) {
    test(`${name}: every request gets the recorded decision`, (t) => {
      const policy = compile({ 'policy.rego': fixtureText(`rego/kata/${name}/policy.rego`) }, { strictBuiltinErrors: false });
      const lines = fixtureText(`rego/kata/${name}/inputs.txt`).split('\n').filter((l) => l.trim() !== '');
      const outputs = fixtureJson<unknown[]>(`rego/kata/${name}/outputs.json`);
      const prints = fixtureJson<string[][]>(`rego/kata/${name}/prints.json`);
      assert.equal(lines.length, outputs.length);
      const prefix = `tests/kata/data/${name}/`;
      let samePrints = 0;
      lines.forEach((line, i) => {
        const [request, input] = parseKataInputLine(line);
        const got: string[] = [];
        const decision = policy.evalJson(`data.agent_policy.${request}`, { input, print: (l) => got.push(l) });
        assert.deepEqual(decision, outputs[i], `request #${i} ${request}`);
        const want = (prints[i] ?? []).map((l) => (l.startsWith(prefix) ? l.slice(prefix.length) : l));
        if (JSON.stringify(want) === JSON.stringify(got)) samePrints++;
      });
      t.diagnostic(`${name}: ${lines.length} requests, ${samePrints} print the same lines`);
    });
  }
});
