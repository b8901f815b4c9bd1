/**
 * The KBS metrics, with upstream names, types, labels and buckets (reference/trustee.md §7), plus
 * `kbs_attestation_duration_seconds{tee_type}`. Unlike upstream, response sizes are recorded in
 * `kbs_http_response_size_bytes` (upstream observes them into the request histogram). Served as
 * Prometheus text by `GET /metrics`; only requests under `/kbs` are measured, as upstream.
 * @module
 */
import { EXPOSITION_CONTENT_TYPE, Registry, type Counter, type Gauge, type Histogram } from './metrics/registry.js';

export { Registry, Counter, Gauge, Histogram, EXPOSITION_CONTENT_TYPE, OVERFLOW_LABEL, escapeLabelValue, formatValue, renderSnapshot } from './metrics/registry.js';
export { mergeSnapshots } from './metrics/merge.js';
export type { Labels, GaugeMerge, MetricSnapshot, RegistrySnapshot } from './metrics/registry.js';

/** Upstream buckets. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.5, 1] as const;
export const SIZE_BUCKETS = [32, 128, 512, 2048, 8192] as const;
/** Ours: hardware evidence verification takes from milliseconds (sample) to seconds (collateral fetch). */
export const ATTESTATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Upstream's buckets for `kbs_plugin_request_duration_seconds`. */
export const PLUGIN_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1] as const;

export interface BuildInfo {
  version: string;
  gitHash: string;
  buildDate: string;
}

export interface KbsMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  readonly httpRequests: Counter;
  readonly httpRequestDuration: Histogram;
  readonly httpRequestSize: Histogram;
  readonly httpResponseSize: Histogram;
  readonly httpActiveConnections: Gauge;
  readonly resourceReads: Counter;
  readonly resourceWrites: Counter;
  readonly resourceDeletes: Counter;
  readonly policyEvaluations: Counter;
  readonly policyApprovals: Counter;
  readonly policyViolations: Counter;
  readonly policyErrors: Counter;
  readonly attestationRequests: Counter;
  readonly attestationErrors: Counter;
  readonly attestationSuccesses: Counter;
  readonly attestationFailures: Counter;
  readonly attestationDuration: Histogram;
  readonly authRequests: Counter;
  readonly authSuccesses: Counter;
  readonly authErrors: Counter;
  /** Record one finished HTTP request (ignored unless the path is under /kbs). */
  recordHttp(r: { path: string; durationSec: number; requestBytes: number; responseBytes: number }): void;
  /** Record one attestation outcome with its latency. */
  recordAttestation(teeType: string, ok: boolean, durationSec: number): void;
  /** Record one resource policy decision: `approved`, `violation` or `error`. */
  recordPolicy(outcome: 'approved' | 'violation' | 'error'): void;
  /** The exposition text. */
  expose(): string;

  // The KBS `MetricsHooks` seam (trustee/kbs/metrics-hooks.ts): the KBS calls these.
  /** One finished `/kbs...` HTTP request (the KBS only reports those, as upstream); `route` is the first path segment. */
  request(route: string, method: string, status: number, seconds: number, requestBytes: number, responseBytes: number): void;
  auth(ok: boolean): void;
  attestation(tee: string, ok: boolean, seconds: number): void;
  policy(result: 'allow' | 'deny' | 'error'): void;
  resource(op: 'read' | 'write' | 'delete', path: string): void;
  plugin(backend: string, rpc: 'handle' | 'other', ok: boolean, seconds: number): void;
  /** Same as `expose()`. */
  render(): string;
}

export function createKbsMetrics(build: BuildInfo, options: { maxSeriesPerMetric?: number } = {}): KbsMetrics {
  const r = new Registry(options);
  // Every process states the same build: across worker processes it stays 1, it does not add up.
  r.gauge('kbs_build_info', 'KBS build information', ['version', 'git_hash', 'build_date'], { merge: 'max' }).set(
    { version: build.version, git_hash: build.gitHash, build_date: build.buildDate },
    1,
  );
  const m = {
    registry: r,
    contentType: EXPOSITION_CONTENT_TYPE,
    httpRequests: r.counter('kbs_http_requests_total', 'Total HTTP requests'),
    httpRequestDuration: r.histogram('kbs_http_request_duration_seconds', 'HTTP request duration in seconds', DURATION_BUCKETS),
    httpRequestSize: r.histogram('kbs_http_request_size_bytes', 'HTTP request body size in bytes', SIZE_BUCKETS),
    httpResponseSize: r.histogram('kbs_http_response_size_bytes', 'HTTP response body size in bytes', SIZE_BUCKETS),
    httpActiveConnections: r.gauge('kbs_http_active_connections', 'Open HTTP connections'),
    resourceReads: r.counter('kbs_resource_reads_total', 'Resource reads', ['resource_path']),
    resourceWrites: r.counter('kbs_resource_writes_total', 'Resource writes', ['resource_path']),
    resourceDeletes: r.counter('kbs_resource_deletes_total', 'Resource deletes', ['resource_path']),
    policyEvaluations: r.counter('kbs_policy_evaluations_total', 'Resource policy evaluations'),
    policyApprovals: r.counter('kbs_policy_approvals_total', 'Resource policy approvals'),
    policyViolations: r.counter('kbs_policy_violations_total', 'Resource policy violations'),
    policyErrors: r.counter('kbs_policy_errors_total', 'Resource policy evaluation errors'),
    attestationRequests: r.counter('kbs_attestation_requests_total', 'Attestation requests'),
    attestationErrors: r.counter('kbs_attestation_errors_total', 'Attestation requests that failed'),
    attestationSuccesses: r.counter('kbs_attestation_successes_total', 'Successful attestations', ['tee_type']),
    attestationFailures: r.counter('kbs_attestation_failures_total', 'Failed attestations', ['tee_type']),
    attestationDuration: r.histogram('kbs_attestation_duration_seconds', 'Attestation latency in seconds', ATTESTATION_BUCKETS, ['tee_type']),
    authRequests: r.counter('kbs_auth_requests_total', 'RCAR auth requests'),
    authSuccesses: r.counter('kbs_auth_successes_total', 'RCAR auth requests answered with a challenge'),
    authErrors: r.counter('kbs_auth_errors_total', 'RCAR auth requests that failed'),
    pluginRequests: r.counter('kbs_plugin_requests_total', 'Total Handle RPC calls to external plugin backends', ['plugin_name']),
    pluginDuration: r.histogram('kbs_plugin_request_duration_seconds', 'External plugin Handle RPC latency in seconds', PLUGIN_BUCKETS, ['plugin_name']),
    pluginErrors: r.counter('kbs_plugin_errors_total', 'Total gRPC errors from external plugin backends', ['plugin_name']),
  };
  const recordHttp: KbsMetrics['recordHttp'] = ({ path, durationSec, requestBytes, responseBytes }) => {
    if (!path.startsWith('/kbs')) return;
    m.httpRequests.inc();
    m.httpRequestDuration.observe(undefined, durationSec);
    m.httpRequestSize.observe(undefined, requestBytes);
    m.httpResponseSize.observe(undefined, responseBytes);
  };
  const recordAttestation: KbsMetrics['recordAttestation'] = (teeType, ok, durationSec) => {
    m.attestationRequests.inc();
    if (ok) m.attestationSuccesses.inc({ tee_type: teeType });
    else {
      m.attestationErrors.inc();
      m.attestationFailures.inc({ tee_type: teeType });
    }
    m.attestationDuration.observe({ tee_type: teeType }, durationSec);
  };
  const recordPolicy: KbsMetrics['recordPolicy'] = (outcome) => {
    m.policyEvaluations.inc();
    if (outcome === 'approved') m.policyApprovals.inc();
    else if (outcome === 'violation') m.policyViolations.inc();
    else m.policyErrors.inc();
  };
  const expose = () => r.expose();
  return {
    ...m,
    recordHttp,
    recordAttestation,
    recordPolicy,
    expose,
    request(_route, _method, _status, seconds, requestBytes, responseBytes) {
      m.httpRequests.inc();
      m.httpRequestDuration.observe(undefined, seconds);
      m.httpRequestSize.observe(undefined, requestBytes);
      m.httpResponseSize.observe(undefined, responseBytes);
    },
    auth(ok) {
      m.authRequests.inc();
      if (ok) m.authSuccesses.inc();
      else m.authErrors.inc();
    },
    attestation: recordAttestation,
    policy(result) {
      recordPolicy(result === 'allow' ? 'approved' : result === 'deny' ? 'violation' : 'error');
    },
    resource(op, path) {
      const c = op === 'read' ? m.resourceReads : op === 'write' ? m.resourceWrites : m.resourceDeletes;
      c.inc({ resource_path: path });
    },
    plugin(backend, rpc, ok, seconds) {
      const labels = { plugin_name: backend };
      // As upstream: Handle calls are counted and timed whether they succeed or not.
      if (rpc === 'handle') {
        m.pluginRequests.inc(labels);
        m.pluginDuration.observe(labels, seconds);
      }
      if (!ok) m.pluginErrors.inc(labels);
    },
    render: expose,
  };
}
