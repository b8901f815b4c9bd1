/**
 * Read-only access to the shared fixtures (`../shared/fixtures` next to the repository, or
 * `COCO_FIXTURES`). Fixtures are never copied into the project (STYLE habit 14).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function findFixturesDir(): string {
  const candidates = [process.env.COCO_FIXTURES, join(repoRoot, '..', 'shared', 'fixtures'), '/work/shared/fixtures'];
  for (const c of candidates) if (c && existsSync(join(c, 'README.md'))) return c;
  throw new Error('shared fixtures not found: set COCO_FIXTURES to the shared/fixtures directory');
}

export const FIXTURES_DIR = findFixturesDir();
export const REPO_ROOT = repoRoot;

/** Absolute path of a fixture, e.g. `fixturePath('snp/test-report.bin')`. */
export function fixturePath(rel: string): string {
  return join(FIXTURES_DIR, rel);
}

/** Bytes of a fixture. */
export function fixture(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(rel)));
}

/** Text of a fixture. */
export function fixtureText(rel: string): string {
  return readFileSync(fixturePath(rel), 'utf8');
}

/** Parsed JSON of a fixture. */
export function fixtureJson<T = unknown>(rel: string): T {
  return JSON.parse(fixtureText(rel)) as T;
}
