#!/usr/bin/env node
// `npm test`: type-check, then run every *.test.ts under src/ and test/ with node:test through tsx.
// Extra arguments are path filters: `npm test -- src/rego` runs only matching files.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const skipTypecheck = process.argv.includes('--no-typecheck') || process.env.COCO_SKIP_TYPECHECK === '1';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk('src', walk('test', [])).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
files.sort();
if (!skipTypecheck && filters.length === 0) {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { stdio: 'inherit' });
  if (tsc.status !== 0) {
    console.error('type check failed');
    process.exit(tsc.status ?? 1);
  }
}
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const concurrency = process.env.COCO_TEST_CONCURRENCY ?? '2';
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(run.status ?? 1);
