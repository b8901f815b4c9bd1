/**
 * A small semver range check for the `/auth` protocol version (semver.org §2, §11; range syntax
 * as npm's: `=`, `<`, `<=`, `>`, `>=`, `^`, `~`, space = and, `||` = or).
 * @module
 */
import { ConfigError } from '../../core/index.js';

type Triple = [number, number, number];

const VERSION_RE = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parse `x.y.z` (pre-release/build suffixes accepted and ignored); undefined when not semver. */
export function parseSemver(text: string): Triple | undefined {
  const m = VERSION_RE.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

type Comparator = (v: Triple) => boolean;

function comparator(token: string, range: string): Comparator {
  const m = /^(<=|>=|<|>|=|\^|~)?(.+)$/.exec(token)!;
  const op = m[1] ?? '=';
  const base = parseSemver(m[2]!);
  if (!base) throw new ConfigError(`invalid semver range ${JSON.stringify(range)}`, { key: 'version_range' });
  switch (op) {
    case '=':
      return (v) => cmp(v, base) === 0;
    case '<':
      return (v) => cmp(v, base) < 0;
    case '<=':
      return (v) => cmp(v, base) <= 0;
    case '>':
      return (v) => cmp(v, base) > 0;
    case '>=':
      return (v) => cmp(v, base) >= 0;
    case '~':
      return (v) => cmp(v, base) >= 0 && v[0] === base[0] && v[1] === base[1];
    default: {
      // ^: the left-most non-zero component must not change.
      const upper: Triple = base[0] > 0 ? [base[0] + 1, 0, 0] : base[1] > 0 ? [0, base[1] + 1, 0] : [0, 0, base[2] + 1];
      return (v) => cmp(v, base) >= 0 && cmp(v, upper) < 0;
    }
  }
}

/** Compile a range once; the result tests a version string. Throws `ConfigError` for a bad range. */
export function compileVersionRange(range: string): (version: string) => boolean {
  const alternatives = range.split('||').map((alt) => {
    const tokens = alt.trim().replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    if (tokens.length === 0) throw new ConfigError(`empty semver range ${JSON.stringify(range)}`, { key: 'version_range' });
    return tokens.map((t) => comparator(t, range));
  });
  return (version) => {
    const v = parseSemver(version);
    return v !== undefined && alternatives.some((all) => all.every((c) => c(v)));
  };
}
