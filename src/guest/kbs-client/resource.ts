/**
 * Resource URIs to KBS request paths (reference/guest-components.md §2.6): the host in a
 * `kbs://host/...` URI is ignored and the configured KBS is used, as upstream does.
 * `kbs:///r/t/g?q` → `/kbs/v0/resource/r/t/g?q`; `kbs+plugin:///a/b` → `/kbs/v0/plugin/a/b`.
 * @module
 */
import { MalformedInput } from '../../core/index.js';
import { parseResourcePath, parseResourceUri } from '../../protocol/index.js';

/** The request path (after the KBS root URL) for a resource URI or a bare `repo/type/tag`. */
export function resourceRequestPath(uriOrPath: string): string {
  if (!/^[a-z][a-z0-9+.-]*:/.test(uriOrPath)) {
    const p = parseResourcePath(uriOrPath.replace(/^\//, ''));
    return `/kbs/v0/resource/${p.repository}/${p.type}/${p.tag}`;
  }
  const u = parseResourceUri(uriOrPath);
  // Plugin paths (kbs+<plugin>://) have any number of segments; none may be empty, a dot segment or encoded.
  for (const seg of u.path.split('/')) {
    if (seg === '' || seg === '.' || seg === '..' || /[%\\]/.test(seg)) throw new MalformedInput(`invalid resource URI segment ${JSON.stringify(seg)}`, { where: 'uri' });
  }
  return `/kbs/v0/${u.plugin}/${u.path}${u.query ? `?${u.query}` : ''}`;
}
