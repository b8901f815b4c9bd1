/**
 * A reference-value provider in another process, reached over upstream's gRPC interface
 * (`protos/reference.proto`: `QueryReferenceValue`, `RegisterReferenceValue`): an upstream `rvps`,
 * or our `coco trustee serve-as`. Used for `[attestation_service.rvps_config] type = "GrpcRemote"`
 * (the built-in AS with a separate RVPS) and, through `RemoteAttestationService`, for the RVPS
 * calls of a KBS in `coco_as_grpc` mode.
 *
 * The interface can only be asked for one name at a time, so the appraisal's snapshot is partial:
 * it holds the names fetched in the last `cacheMs` (default 1 s, like the built-in RVPS's cache),
 * and its `more(names)` fetches the names a policy asked for but did not find (see `appraisal.ts`).
 * A name the provider does not hold is remembered as absent for the same period. Expiry is the
 * provider's business: it answers only what is live.
 * @module
 */
import {  Unavailable, Unsupported, type JsonValue } from '../../core/index.js';
import {
  AS_METHODS,
  REFERENCE_VALUE_QUERY_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  REFERENCE_VALUE_REGISTER_REQUEST,
  REFERENCE_VALUE_REGISTER_RESPONSE,
} from '../../protocol/index.js';
import { withCheck } from '../check-tag.js';
import type { ReferenceValueRecord, ReferenceValueSnapshot, RvpsMessage } from '../rvps/reference-values.js';
import type { GrpcClient } from './client.js';
import { remoteFailure } from './errors.js';

const NO_EXPIRED: ReadonlySet<string> = new Set();

export class RemoteRvps {
  private readonly client: GrpcClient;
  private readonly cacheMs: number;
  /** name → value (undefined: the provider has none) and when it was fetched. */
  private readonly cache = new Map<string, { value: JsonValue | undefined; at: number }>();

  constructor(client: GrpcClient, options: { cacheMs?: number } = {}) {
    this.client = client;
    this.cacheMs = options.cacheMs ?? 1000;
  }

  /** `RegisterReferenceValue`; the provider does not say which names it stored, so the answer is `[]`. */
  async register(message: RvpsMessage): Promise<string[]> {
    try {
      await this.client.unary(AS_METHODS.registerReferenceValue, REFERENCE_VALUE_REGISTER_REQUEST, { message: JSON.stringify(message) }, REFERENCE_VALUE_REGISTER_RESPONSE);
    } catch (err) {
      throw remoteFailure(err, 'the remote RVPS refused the reference values', 'rvps.remote');
    }
    this.cache.clear();
    return [];
  }

  /** `QueryReferenceValue`: the value, or undefined when the provider has none. */
  async query(name: string): Promise<JsonValue | undefined> {
    let text: string | undefined;
    try {
      const res = await this.client.unary(AS_METHODS.queryReferenceValue, REFERENCE_VALUE_QUERY_REQUEST, { reference_value_id: name }, REFERENCE_VALUE_QUERY_RESPONSE);
      text = res.reference_value_results as string | undefined;
    } catch (err) {
      throw remoteFailure(err, `the remote RVPS did not answer for ${name}`, 'rvps.remote');
    }
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as JsonValue;
    } catch (cause) {
      throw withCheck(new Unavailable(`the remote RVPS answered ${name} with text that is not JSON`, { cause }), 'rvps.remote');
    }
  }

  /** The admin API's read: the value as a record with only `value` known. */
  async get(name: string): Promise<Pick<ReferenceValueRecord, 'value'> | undefined> {
    const value = await this.query(name);
    return value === undefined ? undefined : { value };
  }

  /** The provider answers only live values (expiry is its business). */
  async live(name: string): Promise<JsonValue | undefined> {
    return this.query(name);
  }

  async list(): Promise<string[]> {
    throw new Unsupported('reference values live in a remote RVPS, which has no call to list them');
  }

  /** The names fetched within the cache period; `more` fetches others (a partial snapshot). */
  async snapshot(now: number): Promise<ReferenceValueSnapshot> {
    const values = new Map<string, JsonValue>();
    for (const [name, e] of this.cache) {
      if (now - e.at > this.cacheMs || now < e.at) this.cache.delete(name);
      else if (e.value !== undefined) values.set(name, e.value);
    }
    return { values, expired: NO_EXPIRED, more: (names) => this.fetch(names, now) };
  }

  private async fetch(names: readonly string[], now: number): Promise<ReferenceValueSnapshot> {
    const fresh = names.filter((n) => !this.cache.has(n));
    const got = await Promise.all(fresh.map((n) => this.query(n)));
    fresh.forEach((n, i) => this.cache.set(n, { value: got[i], at: now }));
    return this.snapshot(now);
  }
}
