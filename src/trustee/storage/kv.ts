/**
 * The one storage interface of Trustee: namespaced keys to bytes. Backends: memory (tests),
 * SQLite (embedded default) and PostgreSQL (shared by replicas). A write resolves only once it
 * is durable in the backend (SQLite: committed in WAL with synchronous=FULL; PostgreSQL: committed).
 * @module
 */

/** Namespaces used by Trustee (upstream names where upstream has one). */
export type Namespace =
  | 'kbs' // resource policy
  | 'repository' // resources, key repo/type/tag
  | 'kbs_protocol_session'
  | 'attestation_service_policy'
  | 'reference_value'
  | 'audit'
  | 'provisioner'; // the provisioner plugin's per-VM keys

export interface SetOptions {
  /** When false, an existing key is left unchanged and `set` resolves false. Default true. */
  overwrite?: boolean;
  /** Absolute expiry (ms since epoch); expired keys read as absent and are swept. */
  expiresAt?: number;
}

export interface KvStore {
  /** Backend name for logs and metrics: `memory`, `sqlite`, `postgres`. */
  readonly kind: string;
  get(ns: Namespace, key: string): Promise<Uint8Array | undefined>;
  /** Resolves true when written, false when the key existed and `overwrite` was false. */
  set(ns: Namespace, key: string, value: Uint8Array, options?: SetOptions): Promise<boolean>;
  /** Resolves true when a key was deleted. */
  delete(ns: Namespace, key: string): Promise<boolean>;
  /** Keys in `ns` (optionally under `prefix`), sorted, expired keys excluded. */
  list(ns: Namespace, prefix?: string): Promise<string[]>;
  /**
   * Optional: a number that changes whenever anything stored changes, whether this object or (for a
   * shared store) another process wrote it, without reading any value. Keys expiring with time do not
   * change it. A store that cannot tell this cheaply does not have it.
   */
  changeStamp?(): number;
  /** Delete expired keys; keep at most `maxEntries` newest keys of `ns` when given. Resolves the number removed. */
  sweep(ns: Namespace, maxEntries?: number): Promise<number>;
  close(): Promise<void>;
}
