/**
 * Upstream's `provisioner` plugin (`[[plugins]] name = "provisioner"`): per-VM disk-encryption keys
 * made by the KBS before the VM boots and released to it after attestation.
 *
 * | call | who | does |
 * |---|---|---|
 * | `POST /kbs/v0/provisioner/provision` `{"vm_name", "namespace"?}` | admin (the operator) | derive the VM's UUID (v5 of `namespace/vm_name`), make a random key unless one exists, answer `{"uuid", "resource_path"}` |
 * | `DELETE /kbs/v0/provisioner/provision/<uuid>` | admin | forget the VM's key, answer `{"status": "deleted"}` |
 * | `GET /kbs/v0/provisioner/default/<uuid>/root` | attested, resource policy, init-data | the key as confdata TOML, as a JWE to the TEE key |
 *
 * A guest gets its key only if its init-data binds it: `init_data_claims["trustee.kbs.resource"]` must
 * be `kbs+provisioner:///default/<uuid>/root` (the operator puts that in the VM's initdata). The key is
 * kept in the store's `provisioner` namespace, as TOML upstream's `trustee-attester` reads:
 * `version = "0.1.0"` and `[data] "io.cryptsetup.key.text.root" = "<key>"`.
 *
 * Beyond upstream: the key's characters are drawn uniformly (rejection sampling), `key_length` is
 * 16–4096, the UUID of a DELETE must be a UUID, `vm_name` and `namespace` must be non-empty and free of
 * `/` (else two VMs could share a key), a GET must have the shape `default/<uuid>/root`, and a body or
 * binding that is wrong says which part.
 *
 * The UUID is derivable from the VM's name, so the init-data check alone does not stop an attested
 * guest from naming another VM's key: the resource policy must also pin the init-data (e.g. its digest
 * against reference values), as upstream's documentation leaves to the operator.
 * @module
 */
import { createHash } from 'node:crypto';
import { MalformedInput, NotFound, VerificationFailed, expectObject, expectString, optionalString, parseJsonText, secureRandomBytes, utf8 } from '../../core/index.js';
import { withCheck } from '../check-tag.js';
import type { KvStore } from '../storage/kv.js';
import type { KbsPlugin, PluginRequest } from './plugins.js';

/** Upstream's namespace for the VM UUIDs: UUIDv5(NAMESPACE_URL, "provisioner_plugin"). */
export const PROVISIONER_UUID_NAMESPACE = 'feab5599-6854-52bc-95f0-0241c03e620a';
/** The init-data claim that binds a guest to its key. */
export const PROVISIONER_BINDING_CLAIM = 'trustee.kbs.resource';
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** RFC 9562 UUID version 5 (SHA-1) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  if (!UUID_RE.test(namespace)) throw new MalformedInput(`${namespace} is not a UUID`, { where: 'namespace' });
  const h = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `length` characters drawn uniformly from A–Z, a–z, 0–9. */
export function randomAlphanumeric(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of secureRandomBytes(length)) {
      // 248 = 4 × 62: larger bytes would favour the first characters.
      if (b < 248 && out.length < length) out += ALPHANUMERIC[b % 62];
    }
  }
  return out;
}

/** The confdata TOML of a root-disk key (the key is alphanumeric: nothing to escape). */
export function confdataToml(key: string): string {
  return `version = "0.1.0"\n\n[data]\n"io.cryptsetup.key.text.root" = "${key}"\n`;
}

const resourcePathOf = (uuid: string): string => `default/${uuid}/root`;

export interface ProvisionerOptions {
  /** Characters of each key (upstream `key_length`, default 32). */
  keyLength: number;
}

export function provisionerPlugin(store: KvStore, options: ProvisionerOptions): KbsPlugin {
  const unsupported = (req: PluginRequest) =>
    withCheck(new MalformedInput(`the provisioner plugin answers POST provision, DELETE provision/<uuid> and GET default/<uuid>/root, not ${req.method} ${req.path.join('/').slice(0, 100)}`, { where: 'path' }), 'kbs.plugin.provisioner.path');

  async function provision(body: Uint8Array): Promise<Uint8Array> {
    let vmName: string;
    let namespace: string;
    try {
      const o = expectObject(parseJsonText(Buffer.from(body).toString('utf8'), 'body'), 'body');
      vmName = expectString(o.vm_name, 'body.vm_name');
      namespace = optionalString(o.namespace, 'body.namespace') ?? 'default';
    } catch (err) {
      throw withCheck(err as Error, 'kbs.request.malformed');
    }
    // Kubernetes names have no '/', and allowing one would let `a/b` + `c` and `a` + `b/c` share a key.
    for (const [field, value] of [['vm_name', vmName], ['namespace', namespace]] as const) {
      if (value.length === 0 || value.includes('/')) throw withCheck(new MalformedInput(`body.${field} must be a non-empty name without '/'`, { where: `body.${field}` }), 'kbs.request.malformed');
    }
    const uuid = uuidV5(PROVISIONER_UUID_NAMESPACE, `${namespace}/${vmName}`);
    const resourcePath = resourcePathOf(uuid);
    // A VM provisioned again keeps its key (the disk was encrypted with it); concurrent calls agree.
    if ((await store.get('provisioner', resourcePath)) === undefined) {
      await store.set('provisioner', resourcePath, utf8(confdataToml(randomAlphanumeric(options.keyLength))), { overwrite: false });
    }
    return utf8(JSON.stringify({ uuid, resource_path: resourcePath }));
  }

  async function deprovision(uuid: string | undefined): Promise<Uint8Array> {
    if (uuid === undefined || !UUID_RE.test(uuid)) throw withCheck(new MalformedInput(`DELETE provision/<uuid> needs a UUID, got ${JSON.stringify(String(uuid).slice(0, 60))}`, { where: 'path' }), 'kbs.plugin.provisioner.path');
    await store.delete('provisioner', resourcePathOf(uuid));
    return utf8(JSON.stringify({ status: 'deleted' }));
  }

  async function release(path: string[], initData: unknown): Promise<Uint8Array> {
    const key = path.join('/');
    const expected = `kbs+provisioner:///${key}`;
    const bound = initData !== null && typeof initData === 'object' ? (initData as Record<string, unknown>)[PROVISIONER_BINDING_CLAIM] : undefined;
    // Upstream answers this as a plugin error that keeps its reason (not a policy denial).
    const deny = (message: string) => withCheck(new VerificationFailed('kbs.plugin.provisioner.binding', message), 'kbs.plugin.provisioner.binding');
    if (typeof bound !== 'string') throw deny(`the guest's init-data does not name its provisioned key (init-data claim ${PROVISIONER_BINDING_CLAIM} must be ${expected})`);
    if (bound !== expected) throw deny(`the guest's init-data binds ${bound.slice(0, 200)}, not ${expected}`);
    const value = await store.get('provisioner', key);
    if (!value) throw withCheck(new NotFound(`no provisioned key at ${key}`), 'kbs.resource.missing');
    return value;
  }

  return {
    async validateAuth(req) {
      return req.method !== 'GET';
    },
    async handle(req, initData) {
      const [head, ...rest] = req.path;
      // As upstream: POST provision (a trailing slash allowed), DELETE provision/<uuid> (later segments ignored).
      if (req.method === 'POST' && head === 'provision' && rest.every((x) => x === '')) return provision(req.body);
      if (req.method === 'DELETE' && head === 'provision') return deprovision(rest[0]);
      if (req.method === 'GET' && head === 'default' && rest.length === 2 && rest[1] === 'root' && UUID_RE.test(rest[0]!)) return release(req.path, initData);
      throw unsupported(req);
    },
    async encrypted(req) {
      return req.method === 'GET';
    },
  };
}
