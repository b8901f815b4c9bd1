/**
 * The `/auth` protocol version check (semver.org §2, §11) on core's range matcher: upstream's Rust
 * `semver` syntax (`=0.4.0`, `>=0.3.0, <0.5.0`), plus npm's (space = and, `||` = or).
 * @module
 */
import { ConfigError, parseRange, satisfiesRange, type SemverRange } from '../../core/index.js';

type Triple = [number, number, number];

const VERSION_RE = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Parse `x.y.z` (pre-release/build suffixes accepted and ignored); undefined when not semver. */
export function parseSemver(text: string): Triple | undefined {
  const m = VERSION_RE.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/**
 * Compile a range once (core's matcher: Rust `semver` syntax as upstream, npm spellings accepted);
 * the result tests a version string. Throws `ConfigError` for a bad range.
 */
export function compileVersionRange(range: string): (version: string) => boolean {
  let parsed: SemverRange;
  try {
    parsed = parseRange(range, 'version_range');
  } catch (cause) {
    throw new ConfigError(`invalid semver range ${JSON.stringify(range)}: ${(cause as Error).message}`, { key: 'version_range', cause });
  }
  return (version) => satisfiesRange(version, parsed);
}
