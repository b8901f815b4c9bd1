/**
 * Architecture rules (STYLE habit 11): dependency direction between top-level folders, no I/O in
 * pure folders, cross-folder imports only through index.ts, no cycles between folders, and every
 * error code documented in docs/errors.md.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ERROR_CODES } from '../src/core/index.js';
import { REPO_ROOT } from './support/fixtures.js';

const SRC = join(REPO_ROOT, 'src');
// What each top-level folder may import (besides itself).
const ALLOWED: Record<string, string[]> = {
  core: [],
  protocol: ['core'],
  rego: ['core'],
  verifier: ['core', 'protocol'],
  trustee: ['core', 'protocol', 'rego', 'verifier'],
  data: ['core', 'protocol'],
  guest: ['core', 'protocol', 'verifier', 'rego', 'data'],
  cli: ['core', 'protocol', 'rego', 'verifier', 'trustee', 'guest', 'data'],
  peerpods: ['core', 'protocol', 'guest', 'rego'],
  k8s: ['core', 'protocol'],
  console: ['core', 'protocol'],
};
const PURE = new Set(['core', 'protocol', 'rego', 'verifier', 'data']);
const IO_MODULES = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|tls|cluster|worker_threads)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(SRC);
const importRe = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(importRe)) out.push((m[1] ?? m[2])!);
  return out;
}

const top = (abs: string) => relative(SRC, abs).split('/')[0]!;

describe('architecture', () => {
  test('imports point only down the dependency graph', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = top(f);
      for (const spec of importsOf(f)) {
        if (!spec.startsWith('.')) continue;
        const to = top(resolve(dirname(f), spec));
        if (to !== from && !(ALLOWED[from] ?? []).includes(to) && to !== 'index.ts') bad.push(`${relative(SRC, f)} -> ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('another top-level folder is imported only through its index.ts', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = top(f);
      for (const spec of importsOf(f)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(f), spec);
        const to = top(target);
        if (to === from) continue;
        const rel = relative(join(SRC, to), target);
        if (rel !== 'index.js' && rel !== 'index.ts') bad.push(`${relative(SRC, f)} -> ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  test('pure folders use no I/O modules, process.env or ambient clocks', () => {
    const bad: string[] = [];
    for (const f of files) {
      if (!PURE.has(top(f))) continue;
      for (const spec of importsOf(f)) if (IO_MODULES.test(spec)) bad.push(`${relative(SRC, f)} imports ${spec}`);
      const text = readFileSync(f, 'utf8');
      if (/process\.env/.test(text)) bad.push(`${relative(SRC, f)} reads process.env`);
      if (/\bDate\.now\(\)|new Date\(\)/.test(text)) bad.push(`${relative(SRC, f)} reads the clock`);
      if (/(^|[^.\w])fetch\(/.test(text)) bad.push(`${relative(SRC, f)} calls ambient fetch`);
    }
    assert.deepEqual(bad, []);
  });

  test('there is no import cycle between top-level folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = top(f);
      for (const spec of importsOf(f)) {
        if (!spec.startsWith('.')) continue;
        const to = top(resolve(dirname(f), spec));
        if (to !== from) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
      }
    }
    const state = new Map<string, number>();
    const visit = (n: string, path: string[]): void => {
      if (state.get(n) === 2) return;
      assert.notEqual(state.get(n), 1, `cycle: ${[...path, n].join(' -> ')}`);
      state.set(n, 1);
      for (const m of edges.get(n) ?? []) visit(m, [...path, n]);
      state.set(n, 2);
    };
    for (const n of edges.keys()) visit(n, []);
  });

  test('every error code has a row in docs/errors.md', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'errors.md'), 'utf8');
    const missing = ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``));
    assert.deepEqual(missing, []);
  });

  test('no hand-written source file is over 500 lines', () => {
    const big = files.filter((f) => readFileSync(f, 'utf8').split('\n').length > 500).map((f) => relative(SRC, f));
    assert.deepEqual(big, []);
  });
});
