/**
 * What the KBS tells its metrics registry (the Prometheus implementation lives in
 * `trustee/metrics.ts`). The default does nothing, so the KBS runs without metrics.
 * @module
 */

export interface MetricsHooks {
  /** One finished `/kbs/...` HTTP request. */
  request(route: string, method: string, status: number, seconds: number, requestBytes: number, responseBytes: number): void;
  /** One `/auth` outcome. */
  auth(ok: boolean): void;
  /** One `/attest` outcome for `tee`. */
  attestation(tee: string, ok: boolean, seconds: number): void;
  /** One resource-policy evaluation. */
  policy(result: 'allow' | 'deny' | 'error'): void;
  /** A resource read, write or delete. */
  resource(op: 'read' | 'write' | 'delete', path: string): void;
  /**
   * One RPC to an external plugin backend (`kbs_plugin_*`, upstream's names): `handle` marks the
   * `Handle` calls, which upstream counts and times; every failed RPC counts as an error.
   */
  plugin(backend: string, rpc: 'handle' | 'other', ok: boolean, seconds: number): void;
  /** Prometheus text exposition for `GET /metrics` (async in a cluster worker, which asks the primary). */
  render(): string | Promise<string>;
}

export const noMetrics: MetricsHooks = {
  request() {},
  auth() {},
  attestation() {},
  policy() {},
  resource() {},
  plugin() {},
  render: () => '',
};
