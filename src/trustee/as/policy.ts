/**
 * Policy storage with a compile cache: Rego texts live in a KV namespace under `<id>.rego`
 * (upstream layout); each distinct text is compiled once. Reading the text on every evaluation keeps
 * replicas that share storage consistent.
 * @module
 */
import { MalformedInput, NotFound, bytesEqual, expectString, fromBase64Url, fromUtf8, utf8 } from '../../core/index.js';
import type { KvStore, Namespace } from '../storage/kv.js';
import type { CompiledPolicy, HostBuiltins, PolicyEngine } from './policy-engine.js';

const POLICY_ID_RE = /^[A-Za-z0-9_.-]{1,128}$/;
const CACHE_LIMIT = 64;

/** Check a policy id (it becomes a storage key). */
export function parsePolicyId(id: string): string {
  if (!POLICY_ID_RE.test(id) || id.startsWith('.')) throw new MalformedInput(`invalid policy id ${JSON.stringify(id)}`, { where: 'policy_id' });
  return id;
}

export class PolicyStore {
  private readonly compiled = new Map<string, CompiledPolicy>();
  /**
   * Per id, the stored bytes last seen, the store's change stamp when they were read, and their
   * compiled policy: an unchanged policy is neither decoded nor compiled again.
   */
  private readonly lastSeen = new Map<string, { raw: Uint8Array; stamp: number | undefined; policy: CompiledPolicy }>();

  private readonly store: KvStore;
  private readonly ns: Namespace;
  private readonly engine: PolicyEngine;
  private readonly builtinNames: Record<string, number>;

  /** `builtinNames`: host builtins (name → arity) the policies may call, bound per evaluation. */
  constructor(store: KvStore, ns: Namespace, engine: PolicyEngine, builtinNames: Record<string, number> = {}) {
    this.store = store;
    this.ns = ns;
    this.engine = engine;
    this.builtinNames = builtinNames;
  }

  private compile(text: string): CompiledPolicy {
    const hit = this.compiled.get(text);
    if (hit) return hit;
    const builtins: HostBuiltins = {};
    for (const [name, arity] of Object.entries(this.builtinNames)) builtins[name] = { arity, fn: () => undefined };
    const policy = this.engine.compile({ 'policy.rego': text }, { builtins });
    if (this.compiled.size >= CACHE_LIMIT) this.compiled.delete(this.compiled.keys().next().value!);
    this.compiled.set(text, policy);
    return policy;
  }

  async text(id: string): Promise<string | undefined> {
    const raw = await this.store.get(this.ns, `${parsePolicyId(id)}.rego`);
    return raw ? fromUtf8(raw) : undefined;
  }

  /** Compile (rejecting Rego that does not parse) and store. */
  async set(id: string, text: string): Promise<void> {
    parsePolicyId(id);
    this.compile(text);
    await this.store.set(this.ns, `${id}.rego`, utf8(text));
  }

  /** Store `text` unless a policy with this id exists (startup defaults). */
  async seed(id: string, text: string): Promise<void> {
    await this.store.set(this.ns, `${parsePolicyId(id)}.rego`, utf8(text), { overwrite: false });
  }

  async list(): Promise<string[]> {
    return (await this.store.list(this.ns)).filter((k) => k.endsWith('.rego')).map((k) => k.slice(0, -5));
  }

  /** The compiled policy `id`; throws `NotFound`. */
  async get(id: string): Promise<CompiledPolicy> {
    const key = `${parsePolicyId(id)}.rego`;
    const seen = this.lastSeen.get(id);
    // A store with a change stamp (memory, SQLite) says whether anything was written since the last
    // read, without handing the text over. Taken before the read, so a write landing in between only
    // makes the next call read again.
    const stamp = this.store.changeStamp?.();
    if (seen && stamp !== undefined && seen.stamp === stamp) return seen.policy;
    const raw = await this.store.get(this.ns, key);
    if (!raw) throw new NotFound(`policy ${id} not found`);
    if (seen && bytesEqual(seen.raw, raw)) {
      seen.stamp = stamp;
      return seen.policy;
    }
    const policy = this.compile(fromUtf8(raw));
    if (this.lastSeen.size >= CACHE_LIMIT) this.lastSeen.delete(this.lastSeen.keys().next().value!);
    this.lastSeen.set(id, { raw: raw.slice(), stamp, policy });
    return policy;
  }
}

/** A policy as the admin API and the AS gRPC interface carry it: base64url without padding of UTF-8 text. */
export function decodePolicyText(v: unknown, where: string): string {
  // Upstream decodes base64url without padding; padded input is refused as upstream does.
  const text = expectString(v, where);
  if (text.includes('=')) throw new MalformedInput(`${where}: expected base64url without padding`, { where });
  return fromUtf8(fromBase64Url(text, where), where);
}
