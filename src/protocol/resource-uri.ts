/**
 * Resource paths and `kbs://` URIs (reference/guest-components.md §2.6, reference/trustee.md §1.5).
 * A resource path is exactly three segments `repo/type/tag`; each segment matches
 * `[A-Za-z0-9_-]+[A-Za-z0-9_.-]*` (no leading dot, so no `..`).
 * @module
 */
import { MalformedInput } from '../core/index.js';

const SEGMENT_RE = /^[A-Za-z0-9_-]+[A-Za-z0-9_.-]*$/;

export interface ResourcePath {
  repository: string;
  type: string;
  tag: string;
}

/** Parse `repo/type/tag`; throws `MalformedInput` on empty segments, dots, encoded slashes, wrong arity. */
export function parseResourcePath(path: string | readonly string[]): ResourcePath {
  const segs = typeof path === 'string' ? path.split('/') : [...path];
  if (segs.length !== 3) throw new MalformedInput(`resource path must have 3 segments (repo/type/tag), got ${segs.length}`, { where: 'resource-path' });
  for (const s of segs) {
    if (!SEGMENT_RE.test(s)) throw new MalformedInput(`invalid resource path segment ${JSON.stringify(s)}`, { where: 'resource-path' });
  }
  return { repository: segs[0]!, type: segs[1]!, tag: segs[2]! };
}

export function formatResourcePath(p: ResourcePath): string {
  return `${p.repository}/${p.type}/${p.tag}`;
}

export interface ResourceUri {
  /** `kbs` for plain resources, or the plugin named by `kbs+<plugin>://`. */
  scheme: string;
  plugin: string;
  /** KBS host:port; empty means "the configured KBS". */
  host: string;
  /** Path after the host, without the leading slash (for `kbs://` this is `repo/type/tag`). */
  path: string;
  query: string;
}

/**
 * Parse `kbs://<host>/<repo>/<type>/<tag>` (host usually empty: `kbs:///repo/type/tag`) or
 * `kbs+<plugin>://<host>/<path>[?query]`.
 */
export function parseResourceUri(uri: string): ResourceUri {
  const m = /^(kbs(?:\+([a-z0-9-]+))?):\/\/([^/?#]*)\/([^?#]*)(?:\?([^#]*))?$/.exec(uri);
  if (!m) throw new MalformedInput(`invalid resource URI ${JSON.stringify(uri)} (expected kbs:///repo/type/tag)`, { where: 'uri' });
  const plugin = m[2] ?? 'resource';
  const out: ResourceUri = { scheme: m[1]!, plugin, host: m[3]!, path: m[4]!, query: m[5] ?? '' };
  if (plugin === 'resource') parseResourcePath(out.path);
  return out;
}

/** `kbs:///repo/type/tag` for a resource path. */
export function formatResourceUri(p: ResourcePath, host = ''): string {
  return `kbs://${host}/${formatResourcePath(p)}`;
}
