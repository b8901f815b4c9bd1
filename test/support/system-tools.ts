/**
 * Finds system tools (swtpm, postgres, ...) for tests. Locally a missing tool skips the test with
 * a clear message; in CI (`CI=true`) a missing tool is a failure, because CI installs them.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const EXTRA_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/sbin', '/usr/bin', '/usr/local/bin'];

/** Absolute path of `name` on PATH or in the usual Debian locations, or undefined. */
export function findTool(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  for (const d of EXTRA_DIRS) if (existsSync(`${d}/${name}`)) return `${d}/${name}`;
  return undefined;
}

/**
 * The `skip` option for `test(name, { skip }, fn)`: false when every tool exists; a reason string
 * when one is missing locally; throws in CI so nothing silently skips there.
 */
export function requireTools(...names: string[]): false | string {
  const missing = names.filter((n) => !findTool(n));
  if (missing.length === 0) return false;
  const msg = `needs ${missing.join(', ')} (apt-get install ${missing.join(' ')}; .ci/run installs it)`;
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${msg}`);
  return msg;
}
