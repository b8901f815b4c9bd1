/**
 * Rego engine: median evaluation time of the EAR CPU appraisal policy (target < 100 µs), of one
 * Kata agent-policy request decision (target < 1 ms), and compile time of the largest Kata policy.
 * Baseline: JSON.parse of the same input document, measured in the same run.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../src/rego/index.js';
import { fixturePath } from '../test/support/fixtures.js';
import type { BenchSection } from './run.js';
import { fmt, measure } from './util.js';

const us = (ms: number) => fmt(ms * 1000, 1);

function kataRequests(dir: string): [string, unknown][] {
  return readFileSync(join(dir, 'inputs.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l.trim().replace(/^\["ep":/, '[').replace(/,$/, '')) as [string, unknown]);
}

export async function run(): Promise<BenchSection> {
  const rows: string[] = [];
  const row = (what: string, p50: number, p99: number, baseline: number, target: string) =>
    rows.push(`| ${what} | ${us(p50)} | ${us(p99)} | ${fmt(p50 / baseline, 0)}× | ${target} |`);

  // EAR CPU appraisal policy with sample evidence and matching reference values.
  const rvs: Record<string, unknown> = { launch_digest: ['d1'], svn: [1], major_version: 1, minimum_minor_version: 0 };
  const ear = compile(
    { 'ear.rego': readFileSync(fixturePath('trustee-policies/ear_default_policy_cpu.rego'), 'utf8') },
    { builtins: { query_reference_value: { arity: 1, fn: (id) => rvs[String(id)] ?? null } } },
  );
  const earInput = { sample: { launch_digest: 'd1', svn: 1, platform_version: { major: 1, minor: 0 }, debug: false }, report_data: 'aa', init_data_claims: null };
  const earText = JSON.stringify(earInput);
  const earBase = await measure(() => JSON.parse(earText), 500, 100);
  const earRun = await measure(() => {
    ear.evalJson('data.policy.trust_claims', { input: earInput });
    ear.evalJson('data.policy.extensions', { input: earInput });
  }, 1500);
  row('EAR CPU policy: trust_claims + extensions (sample)', earRun.p50, earRun.p99, earBase.p50, '< 100 µs');

  // Kata: the heaviest request (CreateContainerRequest) and the cheapest kind, on one compiled policy.
  const kataDir = fixturePath('rego/kata/pod-exec');
  const kata = compile({ 'policy.rego': readFileSync(join(kataDir, 'policy.rego'), 'utf8') }, { strictBuiltinErrors: false });
  const reqs = kataRequests(kataDir);
  for (const name of ['CreateContainerRequest', 'CreateSandboxRequest', 'CopyFileRequest', 'ExecProcessRequest']) {
    const req = reqs.find(([n]) => n === name);
    if (!req) continue;
    const text = JSON.stringify(req[1]);
    const base = await measure(() => JSON.parse(text), 500, 100);
    const r = await measure(() => kata.evalJson(`data.agent_policy.${name}`, { input: req[1] }), 1500);
    row(`Kata pod-exec ${name}`, r.p50, r.p99, base.p50, '< 1 ms');
  }

  // The whole recorded session (every request in order), per request.
  const allText = JSON.stringify(reqs);
  const allBase = await measure(() => JSON.parse(allText), 500, 100);
  const all = await measure(() => {
    for (const [name, input] of reqs) kata.evalJson(`data.agent_policy.${name}`, { input });
  }, 3000);
  row(`Kata pod-exec, all ${reqs.length} recorded requests (per request)`, all.p50 / reqs.length, all.p99 / reqs.length, allBase.p50 / reqs.length, '< 1 ms');

  // Compile time of the largest Kata policy.
  const root = fixturePath('rego/kata');
  const largest = readdirSync(root)
    .map((d) => join(root, d, 'policy.rego'))
    .filter((p) => statSync(join(p, '..')).isDirectory())
    .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  const src = readFileSync(largest, 'utf8');
  const parseBase = await measure(() => JSON.parse(JSON.stringify({ src })), 500, 100);
  const c = await measure(() => compile({ 'policy.rego': src }), 2000);
  row(`compile largest Kata policy (${fmt(src.length / 1024, 0)} KiB, ${src.split('\n').length} lines)`, c.p50, c.p99, parseBase.p50, '—');

  const body = [
    '| what | p50 µs | p99 µs | p50 vs JSON.parse of the same input | target |',
    '|---|---:|---:|---:|---|',
    ...rows,
    '',
    'One compiled policy per row, evaluated repeatedly (per-query memo tables are fresh each time).',
  ].join('\n');
  return { title: 'Rego engine', body };
}
