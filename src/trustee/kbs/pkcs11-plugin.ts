/**
 * Upstream's `pkcs11` plugin (`[[plugins]] name = "pkcs11"`): resources kept in a PKCS#11 token (an
 * HSM) instead of the KBS store, and an RSA key pair in the token that wraps and unwraps data.
 *
 * | call | who | does |
 * |---|---|---|
 * | `GET /kbs/v0/pkcs11/resource/<repo>/<type>/<tag>` | attested, resource policy | the secret labelled `repo/type/tag`, as a JWE to the TEE key |
 * | `POST …/resource/<repo>/<type>/<tag>` | admin | store the body as that secret (replacing it) |
 * | `DELETE …/resource/<repo>/<type>/<tag>` | admin | remove it |
 * | `POST /kbs/v0/pkcs11/wrap-key` | admin | the body encrypted with the public key labelled `lookup_label` |
 * | `GET /kbs/v0/pkcs11/wrap-key` (with a body) | attested, resource policy | the body decrypted with the private key, as a JWE to the TEE key |
 *
 * The resource policy sees `data.plugin = "pkcs11"` and `data."resource-path"` = the segments after it
 * (`["resource", "default", "key", "1"]`, `["wrap-key"]`). Paths are checked as resource paths are (no `..`, no encoded
 * slashes, no empty segments). The token itself is `pkcs11-token.ts`.
 * @module
 */
import { MalformedInput, NotFound, Unsupported } from '../../core/index.js';
import { parseResourcePath } from '../../protocol/index.js';
import { withCheck } from '../check-tag.js';
import type { HsmSecrets } from './pkcs11-token.js';
import type { KbsPlugin, PluginRequest } from './plugins.js';

const METHODS = 'GET, POST and DELETE';

/** `repo/type/tag` of a `resource/...` path, checked like `/kbs/v0/resource/` paths. */
function labelOf(segments: readonly string[]): string {
  try {
    const p = parseResourcePath(segments);
    return `${p.repository}/${p.type}/${p.tag}`;
  } catch (err) {
    throw withCheck(err as Error, 'kbs.resource.path');
  }
}

export function pkcs11Plugin(hsm: HsmSecrets): KbsPlugin {
  return {
    async validateAuth(req: PluginRequest): Promise<boolean> {
      if (req.method === 'GET') return false;
      if (req.method === 'POST' || req.method === 'DELETE') return true;
      throw withCheck(new Unsupported(`the pkcs11 plugin answers ${METHODS}, not ${req.method}`), 'kbs.plugin.pkcs11.method');
    },

    async handle(req: PluginRequest): Promise<Uint8Array> {
      const [head, ...rest] = req.path;
      if (head === 'wrap-key' && rest.length === 0) {
        if (req.method === 'POST') return hsm.wrap(req.body);
        if (req.method === 'GET') {
          if (req.body.length === 0) throw new MalformedInput('GET wrap-key needs the wrapped data as its body', { where: 'body' });
          return hsm.unwrap(req.body);
        }
        throw withCheck(new Unsupported(`wrap-key answers GET (unwrap) and POST (wrap), not ${req.method}`), 'kbs.plugin.pkcs11.method');
      }
      if (head === 'resource') {
        const label = labelOf(rest);
        if (req.method === 'GET') {
          const value = hsm.read(label);
          if (!value) throw withCheck(new NotFound(`the token holds no resource ${label}`), 'kbs.resource.missing');
          return value;
        }
        if (req.method === 'POST') {
          hsm.write(label, req.body);
          return new Uint8Array(0);
        }
        if (!hsm.remove(label)) throw withCheck(new NotFound(`the token holds no resource ${label}`), 'kbs.resource.missing');
        return new Uint8Array(0);
      }
      throw withCheck(new MalformedInput(`the pkcs11 plugin serves resource/<repo>/<type>/<tag> and wrap-key, not ${req.path.join('/').slice(0, 100)}`, { where: 'path' }), 'kbs.plugin.pkcs11.path');
    },

    /** Attested answers (GET) always go back as a JWE to the TEE key, as upstream's. */
    async encrypted(): Promise<boolean> {
      return true;
    },

    close(): void {
      hsm.close();
    },
  };
}
