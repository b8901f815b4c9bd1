/**
 * A small SemVer 2.0 range matcher for the KBS protocol version check, following the Rust
 * `semver::VersionReq` syntax upstream uses (`=0.4.0`, `>=0.3.0, <0.5.0`, `^0.4`, `~0.4.1`, `0.4.*`).
 * As in Rust, a bare version means caret (`0.4.0` = `^0.4.0`). Pre-release versions compare by
 * SemVer precedence (§11); Rust's extra rule that a pre-release only matches a comparator naming
 * the same x.y.z is not applied.
 * @module
 */
import { MalformedInput } from './errors.js';

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

type Bound = { op: '>=' | '>' | '<' | '<='; v: Version };

/** A parsed range: a version matches when it satisfies every bound. */
export interface SemverRange {
  readonly source: string;
  readonly bounds: readonly Bound[];
}

const NUM = '(0|[1-9]\\d*)';
const VERSION_RE = new RegExp(`^${NUM}\\.${NUM}\\.${NUM}(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);
const PARTIAL_RE = /^(\d+|\*|x|X)(?:\.(\d+|\*|x|X))?(?:\.(\d+|\*|x|X))?(?:-([0-9A-Za-z.-]+))?$/;

function parseVersion(text: string): Version {
  const m = VERSION_RE.exec(text.trim());
  if (!m) throw new MalformedInput(`invalid semantic version ${JSON.stringify(text)}`, { where: 'version' });
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // release > pre-release
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return Number(x) - Number(y);
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}

const v = (major: number, minor: number, patch: number, pre: string[] = []): Version => ({ major, minor, patch, pre });

function parseComparator(text: string, where: string): Bound[] {
  const m = /^(=|>=|<=|>|<|~|\^)?\s*(.+)$/.exec(text);
  const bad = () => new MalformedInput(`${where}: invalid version requirement ${JSON.stringify(text)}`, { where });
  if (!m) throw bad();
  const op = m[1] ?? '^';
  const p = PARTIAL_RE.exec(m[2]!);
  if (!p) throw bad();
  const wild = (s: string | undefined) => s === undefined || s === '*' || s === 'x' || s === 'X';
  if (wild(p[1])) {
    if (p[2] !== undefined || op !== '^') throw bad();
    return [];
  }
  const major = Number(p[1]);
  const hasMinor = !wild(p[2]);
  const hasPatch = hasMinor && !wild(p[3]);
  if (!hasMinor && p[3] !== undefined && !wild(p[3])) throw bad();
  const minor = hasMinor ? Number(p[2]) : 0;
  const patch = hasPatch ? Number(p[3]) : 0;
  const pre = p[4] ? p[4].split('.') : [];
  if (pre.length > 0 && !hasPatch) throw bad();
  const lo = v(major, minor, patch, pre);
  // The first version above the partial one: 1 -> 2.0.0, 1.2 -> 1.3.0, 1.2.3 -> 1.2.4.
  const next = !hasMinor ? v(major + 1, 0, 0) : !hasPatch ? v(major, minor + 1, 0) : v(major, minor, patch + 1);
  const exactPartial = !hasPatch; // `1.2` in an = / wildcard sense covers 1.2.x
  switch (op) {
    case '=':
      return exactPartial ? [{ op: '>=', v: lo }, { op: '<', v: next }] : [{ op: '>=', v: lo }, { op: '<=', v: lo }];
    case '>':
      return exactPartial ? [{ op: '>=', v: next }] : [{ op: '>', v: lo }];
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: lo }];
    case '<=':
      return exactPartial ? [{ op: '<', v: next }] : [{ op: '<=', v: lo }];
    case '~':
      return [{ op: '>=', v: lo }, { op: '<', v: hasMinor ? v(major, minor + 1, 0) : v(major + 1, 0, 0) }];
    default: {
      // caret: the leftmost non-zero component may not change.
      const upper = major > 0 || !hasMinor ? v(major + 1, 0, 0) : minor > 0 || !hasPatch ? v(0, minor + 1, 0) : v(0, 0, patch + 1);
      return [{ op: '>=', v: lo }, { op: '<', v: upper }];
    }
  }
}

/** Parse a requirement such as `=0.4.0` or `>=0.3.0, <0.5.0`; throws `MalformedInput`. */
export function parseRange(text: string, where = 'version requirement'): SemverRange {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new MalformedInput(`${where}: empty comparator in ${JSON.stringify(text)}`, { where });
  return { source: text, bounds: parts.flatMap((s) => parseComparator(s, where)) };
}

/** True when `version` (strict x.y.z) satisfies `range`; an unparsable version never satisfies. */
export function satisfiesRange(version: string, range: SemverRange | string): boolean {
  const r = typeof range === 'string' ? parseRange(range) : range;
  let ver: Version;
  try {
    ver = parseVersion(version);
  } catch {
    return false;
  }
  return r.bounds.every((b) => {
    const c = compare(ver, b.v);
    return b.op === '>=' ? c >= 0 : b.op === '>' ? c > 0 : b.op === '<' ? c < 0 : c <= 0;
  });
}
