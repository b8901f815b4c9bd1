import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { OVERFLOW_LABEL, Registry, createKbsMetrics } from './metrics.js';
import { parsePrometheusText } from '../../test/support/prometheus-text.js';

const BUILD = { version: '0.1.0', gitHash: 'abc123', buildDate: '2026-11-23' };

describe('createKbsMetrics', () => {
  test('exposes every upstream metric with its type', () => {
    const fams = parsePrometheusText(createKbsMetrics(BUILD).expose());
    const want: Record<string, string> = {
      kbs_build_info: 'gauge',
      kbs_http_requests_total: 'counter',
      kbs_http_request_duration_seconds: 'histogram',
      kbs_http_request_size_bytes: 'histogram',
      kbs_http_response_size_bytes: 'histogram',
      kbs_http_active_connections: 'gauge',
      kbs_resource_reads_total: 'counter',
      kbs_resource_writes_total: 'counter',
      kbs_resource_deletes_total: 'counter',
      kbs_policy_evaluations_total: 'counter',
      kbs_policy_approvals_total: 'counter',
      kbs_policy_violations_total: 'counter',
      kbs_policy_errors_total: 'counter',
      kbs_attestation_requests_total: 'counter',
      kbs_attestation_errors_total: 'counter',
      kbs_attestation_successes_total: 'counter',
      kbs_attestation_failures_total: 'counter',
      kbs_attestation_duration_seconds: 'histogram',
      kbs_auth_requests_total: 'counter',
      kbs_auth_successes_total: 'counter',
      kbs_auth_errors_total: 'counter',
      kbs_plugin_requests_total: 'counter',
      kbs_plugin_request_duration_seconds: 'histogram',
      kbs_plugin_errors_total: 'counter',
    };
    assert.deepEqual(Object.fromEntries([...fams.values()].map((f) => [f.name, f.type])), want);
    assert.deepEqual(fams.get('kbs_build_info')!.samples, [
      { name: 'kbs_build_info', labels: { version: '0.1.0', git_hash: 'abc123', build_date: '2026-11-23' }, value: 1 },
    ]);
  });

  test('uses upstream buckets for HTTP duration and sizes', () => {
    const fams = parsePrometheusText(createKbsMetrics(BUILD).expose());
    const les = (n: string) => fams.get(n)!.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le);
    assert.deepEqual(les('kbs_http_request_duration_seconds'), ['0.0005', '0.001', '0.005', '0.01', '0.05', '0.5', '1', '+Inf']);
    assert.deepEqual(les('kbs_http_request_size_bytes'), ['32', '128', '512', '2048', '8192', '+Inf']);
    assert.deepEqual(les('kbs_http_response_size_bytes'), ['32', '128', '512', '2048', '8192', '+Inf']);
  });

  test('records request and response sizes in their own histograms', () => {
    const m = createKbsMetrics(BUILD);
    m.recordHttp({ path: '/kbs/v0/auth', durationSec: 0.002, requestBytes: 100, responseBytes: 5000 });
    m.recordHttp({ path: '/kbs/v0/attest', durationSec: 0.7, requestBytes: 9000, responseBytes: 20 });
    m.recordHttp({ path: '/metrics', durationSec: 0.001, requestBytes: 0, responseBytes: 100 });
    const fams = parsePrometheusText(m.expose());
    const bucket = (n: string, le: string) => fams.get(n)!.samples.find((s) => s.name === `${n}_bucket` && s.labels.le === le)!.value;
    assert.equal(fams.get('kbs_http_requests_total')!.samples[0]!.value, 2);
    assert.equal(bucket('kbs_http_request_size_bytes', '128'), 1);
    assert.equal(bucket('kbs_http_request_size_bytes', '8192'), 1);
    assert.equal(bucket('kbs_http_request_size_bytes', '+Inf'), 2);
    assert.equal(bucket('kbs_http_response_size_bytes', '32'), 1);
    assert.equal(bucket('kbs_http_response_size_bytes', '8192'), 2);
    assert.equal(bucket('kbs_http_request_duration_seconds', '0.005'), 1);
    assert.equal(bucket('kbs_http_request_duration_seconds', '1'), 2);
    const sum = fams.get('kbs_http_request_size_bytes')!.samples.find((s) => s.name.endsWith('_sum'))!.value;
    assert.equal(sum, 9100);
  });

  test('labels attestation outcomes and latency by tee_type', () => {
    const m = createKbsMetrics(BUILD);
    m.recordAttestation('snp', true, 0.02);
    m.recordAttestation('snp', false, 0.2);
    m.recordAttestation('tdx', true, 3);
    const fams = parsePrometheusText(m.expose());
    assert.equal(fams.get('kbs_attestation_requests_total')!.samples[0]!.value, 3);
    assert.equal(fams.get('kbs_attestation_errors_total')!.samples[0]!.value, 1);
    assert.deepEqual(
      fams.get('kbs_attestation_successes_total')!.samples.map((s) => [s.labels.tee_type, s.value]),
      [['snp', 1], ['tdx', 1]],
    );
    const counts = fams.get('kbs_attestation_duration_seconds')!.samples.filter((s) => s.name.endsWith('_count'));
    assert.deepEqual(counts.map((s) => [s.labels.tee_type, s.value]), [['snp', 2], ['tdx', 1]]);
  });

  test('counts policy outcomes', () => {
    const m = createKbsMetrics(BUILD);
    m.recordPolicy('approved');
    m.recordPolicy('violation');
    m.recordPolicy('violation');
    m.recordPolicy('error');
    assert.equal(m.policyEvaluations.get(), 4);
    assert.equal(m.policyViolations.get(), 2);
    assert.match(m.expose(), /^kbs_policy_approvals_total 1$/m);
  });

  test('caps the series of a label fed by requests', () => {
    const m = createKbsMetrics(BUILD, { maxSeriesPerMetric: 3 });
    for (let i = 0; i < 10; i++) m.resourceReads.inc({ resource_path: `default/key/${i}` });
    const s = parsePrometheusText(m.expose()).get('kbs_resource_reads_total')!.samples;
    assert.equal(s.length, 4);
    assert.deepEqual(s.at(-1), { name: 'kbs_resource_reads_total', labels: { resource_path: OVERFLOW_LABEL }, value: 7 });
  });
});

describe('createKbsMetrics as the KBS MetricsHooks', () => {
  test('maps request, auth, attestation, policy and resource calls onto the metrics', () => {
    const m = createKbsMetrics(BUILD);
    m.request('auth', 'POST', 200, 0.003, 120, 300);
    m.request('attest', 'POST', 401, 0.2, 5000, 100);
    m.auth(true);
    m.auth(false);
    m.attestation('az-snp-vtpm', false, 1.5);
    m.policy('allow');
    m.policy('deny');
    m.policy('error');
    m.resource('read', 'default/key/1');
    m.resource('write', 'default/key/1');
    m.resource('delete', 'default/key/2');
    const f = parsePrometheusText(m.render());
    const v = (n: string, labels: Record<string, string> = {}) =>
      f.get(n)!.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    assert.equal(v('kbs_http_requests_total'), 2);
    const sum = (n: string) => f.get(n)!.samples.find((s) => s.name === `${n}_sum`)!.value;
    assert.equal(sum('kbs_http_response_size_bytes'), 400);
    assert.equal(sum('kbs_http_request_size_bytes'), 5120);
    assert.equal(v('kbs_auth_requests_total'), 2);
    assert.equal(v('kbs_auth_successes_total'), 1);
    assert.equal(v('kbs_auth_errors_total'), 1);
    assert.equal(v('kbs_attestation_failures_total', { tee_type: 'az-snp-vtpm' }), 1);
    assert.equal(v('kbs_policy_evaluations_total'), 3);
    assert.equal(v('kbs_policy_approvals_total'), 1);
    assert.equal(v('kbs_policy_violations_total'), 1);
    assert.equal(v('kbs_policy_errors_total'), 1);
    assert.equal(v('kbs_resource_reads_total', { resource_path: 'default/key/1' }), 1);
    assert.equal(v('kbs_resource_writes_total', { resource_path: 'default/key/1' }), 1);
    assert.equal(v('kbs_resource_deletes_total', { resource_path: 'default/key/2' }), 1);
    m.plugin('demo', 'handle', true, 0.002);
    m.plugin('demo', 'handle', false, 0.3);
    m.plugin('demo', 'other', false, 0.01);
    m.plugin('demo', 'other', true, 0.01);
    const p = parsePrometheusText(m.render());
    const pv = (n: string) => p.get(n)!.samples.find((s) => s.name === n && s.labels.plugin_name === 'demo')?.value;
    assert.equal(pv('kbs_plugin_requests_total'), 2, 'Handle calls only');
    assert.equal(pv('kbs_plugin_errors_total'), 2, 'every failed RPC');
    const duration = p.get('kbs_plugin_request_duration_seconds')!.samples;
    assert.equal(duration.find((s) => s.name === 'kbs_plugin_request_duration_seconds_count')!.value, 2, 'timed whether they succeed or not, as upstream');
    assert.deepEqual(
      duration.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le),
      ['0.001', '0.005', '0.01', '0.05', '0.1', '0.5', '1', '+Inf'],
    );
    assert.equal(m.render(), m.expose());
  });
});

describe('Registry', () => {
  test('escapes label values so any string round-trips (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), fc.string({ maxLength: 30 }), (v, help) => {
        const r = new Registry();
        r.counter('x_total', help, ['path']).inc({ path: v }, 2);
        const f = parsePrometheusText(r.expose()).get('x_total')!;
        return f.samples.length === 1 && f.samples[0]!.labels.path === v && f.samples[0]!.value === 2;
      }),
    );
  });

  test('histogram buckets stay cumulative and consistent for any observations (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -10, max: 1e6, noNaN: true })), (xs) => {
        const r = new Registry();
        const h = r.histogram('h_seconds', 'h', [0.1, 1, 10, 1000]);
        for (const x of xs) h.observe(undefined, x);
        const f = parsePrometheusText(r.expose()).get('h_seconds')!; // the parser checks the invariants
        return f.samples.find((s) => s.name === 'h_seconds_count')!.value === xs.length;
      }),
    );
  });

  test('refuses bad names, duplicate metrics, missing labels and decreasing counters', () => {
    const r = new Registry();
    assert.throws(() => r.counter('1bad', 'x'), TypeError);
    assert.throws(() => r.counter('ok', 'x', ['le']), TypeError);
    const c = r.counter('c_total', 'x', ['a']);
    assert.throws(() => r.gauge('c_total', 'x'), TypeError);
    assert.throws(() => c.inc({}), TypeError);
    assert.throws(() => c.inc({ a: '1', b: '2' }), TypeError);
    assert.throws(() => c.inc({ a: '1' }, -1), TypeError);
    assert.throws(() => r.histogram('h', 'x', [1, 1]), TypeError);
  });

  test('renders special values and gauges that go down', () => {
    const r = new Registry();
    const g = r.gauge('g', 'a gauge\nwith two lines');
    g.inc();
    g.inc();
    g.dec();
    r.gauge('inf', 'x').set(undefined, Infinity);
    const text = r.expose();
    assert.match(text, /^# HELP g a gauge\\nwith two lines$/m);
    assert.match(text, /^g 1$/m);
    assert.match(text, /^inf \+Inf$/m);
    parsePrometheusText(text);
  });

  test('the strict parser rejects malformed expositions', () => {
    for (const bad of [
      'x 1',
      '# HELP x h\n# TYPE x counter\nx -1\n',
      '# HELP x h\n# TYPE x counter\nx{a="1} 1\n',
      '# HELP x h\n# TYPE x counter\nx 1\nx 2\n',
      '# HELP x h\n# TYPE x counter\ny 1\n',
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n',
    ]) {
      assert.throws(() => parsePrometheusText(bad), Error, bad);
    }
  });
});
