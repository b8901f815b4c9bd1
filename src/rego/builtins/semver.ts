/**
 * Semantic versions (semver.org 2.0.0): semver.is_valid and semver.compare (precedence rules
 * of §11: numeric core, then pre-release identifiers; build metadata ignored).
 * @module
 */
import { evalError } from '../ops.js';
import { str } from './args.js';
import type { BuiltinTable } from './types.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface SemVer {
  core: [bigint, bigint, bigint];
  pre: string[];
}

function parseSemver(s: string): SemVer | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre: m[4] ? m[4].split('.') : [] };
}

function cmpIdent(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareSemver(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! < b.core[i]! ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) return a.pre.length === b.pre.length ? 0 : a.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const c = cmpIdent(a.pre[i]!, b.pre[i]!);
    if (c) return c;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

export const semver: BuiltinTable = {
  'semver.is_valid': { arity: 1, fn: ([v]) => parseSemver(str('semver.is_valid', v!)) !== undefined },
  'semver.compare': {
    arity: 2,
    fn: ([a, b]) => {
      const x = parseSemver(str('semver.compare', a!));
      const y = parseSemver(str('semver.compare', b!, 2));
      if (!x || !y) throw evalError(`semver.compare: invalid semantic version ${JSON.stringify(x ? b : a)}`);
      return compareSemver(x, y);
    },
  },
};
