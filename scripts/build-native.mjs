#!/usr/bin/env node
// `npm install` / `npm ci` step: build the optional P-256 ECDH addon (native/p256_ecdh.c) with the
// node-gyp that npm carries, against Node's own headers. A machine without a C toolchain still
// installs: Trustee then uses node:crypto's (slower) ECDH. `.ci/run` has the toolchain, and the tests
// require the addon there (CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
const args = ['rebuild', '--release'];
// Node's headers: where npm is told they are, else the system's own when they match this Node (a
// distribution's nodejs package installs them under /usr/include/node), else node-gyp's cache, which it
// fills from nodejs.org (not reachable everywhere).
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`);
else if (systemHeadersMatch('/usr')) args.push('--nodedir=/usr');
const run = candidates.length > 0 ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: 'inherit' }) : spawnSync('node-gyp', args, { stdio: 'inherit', shell: false });
if (run.status !== 0) {
  console.warn('coco-ts: the native P-256 ECDH addon did not build; Trustee will use node:crypto for it (slower).');
}
process.exit(0);

/** Whether `<prefix>/include/node` holds the headers of the Node running this script. */
function systemHeadersMatch(prefix) {
  try {
    const h = readFileSync(join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    const part = (name) => /#define NODE_[A-Z]+_VERSION (\d+)/.exec(h.slice(h.indexOf(`#define NODE_${name}_VERSION`)))?.[1];
    return `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version;
  } catch {
    return false;
  }
}
