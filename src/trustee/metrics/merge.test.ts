import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parsePrometheusText } from '../../../test/support/prometheus-text.js';
import { createKbsMetrics } from '../metrics.js';
import { mergeSnapshots } from './merge.js';
import { Registry, renderSnapshot, type RegistrySnapshot } from './registry.js';

const BUCKETS = [0.5, 1, 2.5] as const;

/** The registry every "process" of these tests runs: one metric of each kind and merge rule. */
function makeRegistry() {
  const r = new Registry();
  return {
    r,
    requests: r.counter('t_requests_total', 'requests', ['route']),
    open: r.gauge('t_open', 'open things'),
    info: r.gauge('t_info', 'build', ['version'], { merge: 'max' }),
    latency: r.histogram('t_latency_seconds', 'latency', BUCKETS, ['route']),
  };
}

type Op = { kind: 'count'; route: string; n: number } | { kind: 'open'; delta: number } | { kind: 'observe'; route: string; v: number };

function apply(reg: ReturnType<typeof makeRegistry>, op: Op): void {
  if (op.kind === 'count') reg.requests.inc({ route: op.route }, op.n);
  else if (op.kind === 'open') reg.open.inc(undefined, op.delta);
  else reg.latency.observe({ route: op.route }, op.v);
}

/** Same content regardless of the order in which series were first seen. */
function normalize(s: RegistrySnapshot): RegistrySnapshot {
  return {
    metrics: s.metrics.map((m) => ({ ...m, series: [...m.series].sort((a, b) => JSON.stringify(a.values).localeCompare(JSON.stringify(b.values))) })) as RegistrySnapshot['metrics'],
  };
}

describe('mergeSnapshots', () => {
  test('adds counters, histogram buckets, sums and counts of two processes', () => {
    const a = makeRegistry();
    const b = makeRegistry();
    a.requests.inc({ route: 'auth' }, 2);
    b.requests.inc({ route: 'auth' }, 3);
    b.requests.inc({ route: 'attest' });
    a.latency.observe({ route: 'auth' }, 0.25);
    b.latency.observe({ route: 'auth' }, 2);
    b.latency.observe({ route: 'auth' }, 7);
    const fams = parsePrometheusText(renderSnapshot(mergeSnapshots([a.r.snapshot(), b.r.snapshot()])));
    const value = (name: string, labels: Record<string, string>) =>
      [...fams.values()].flatMap((f) => f.samples).find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
    assert.equal(value('t_requests_total', { route: 'auth' }), 5);
    assert.equal(value('t_requests_total', { route: 'attest' }), 1);
    assert.equal(value('t_latency_seconds_bucket', { route: 'auth', le: '0.5' }), 1);
    assert.equal(value('t_latency_seconds_bucket', { route: 'auth', le: '2.5' }), 2);
    assert.equal(value('t_latency_seconds_bucket', { route: 'auth', le: '+Inf' }), 3);
    assert.equal(value('t_latency_seconds_sum', { route: 'auth' }), 9.25);
    assert.equal(value('t_latency_seconds_count', { route: 'auth' }), 3);
  });

  test('sums open connections over three processes but keeps kbs_build_info at 1', () => {
    const build = { version: '1.2.3', gitHash: 'abc', buildDate: 'today' };
    const procs = [createKbsMetrics(build), createKbsMetrics(build), createKbsMetrics(build)];
    procs.forEach((p, i) => p.httpActiveConnections.inc(undefined, i + 1));
    const fams = parsePrometheusText(renderSnapshot(mergeSnapshots(procs.map((p) => p.registry.snapshot()))));
    assert.deepEqual(fams.get('kbs_http_active_connections')!.samples.map((s) => s.value), [6]);
    assert.deepEqual(fams.get('kbs_build_info')!.samples.map((s) => s.value), [1]);
  });

  test('of one snapshot renders exactly what its registry exposes', () => {
    const a = makeRegistry();
    a.requests.inc({ route: 'x"y\\z' });
    a.latency.observe({ route: 'r' }, Infinity);
    assert.equal(renderSnapshot(mergeSnapshots([a.r.snapshot()])), a.r.expose());
  });

  test('survives a structured clone (what the cluster IPC channel sends), infinite sums included', () => {
    const a = makeRegistry();
    a.latency.observe({ route: 'r' }, Infinity);
    a.open.dec();
    assert.equal(renderSnapshot(structuredClone(a.r.snapshot())), a.r.expose());
  });

  test('does not modify its inputs', () => {
    const a = makeRegistry();
    const b = makeRegistry();
    a.requests.inc({ route: 'auth' });
    b.requests.inc({ route: 'auth' });
    a.latency.observe({ route: 'auth' }, 1);
    b.latency.observe({ route: 'auth' }, 1);
    const snaps = [a.r.snapshot(), b.r.snapshot()];
    const before = structuredClone(snaps);
    mergeSnapshots(snaps);
    mergeSnapshots(snaps);
    assert.deepEqual(snaps, before);
  });

  test('of no snapshot is empty', () => {
    assert.deepEqual(mergeSnapshots([]), { metrics: [] });
  });

  test('throws TypeError when processes disagree on buckets, labels, kind or merge rule', () => {
    const base = new Registry();
    base.histogram('h', 'h', [1, 2]);
    base.gauge('g', 'g');
    const cases: Array<(r: Registry) => void> = [
      (r) => (r.histogram('h', 'h', [1, 3]), r.gauge('g', 'g')),
      (r) => (r.histogram('h', 'h', [1, 2], ['route']), r.gauge('g', 'g')),
      (r) => (r.histogram('h', 'h', [1, 2]), r.counter('g', 'g')),
      (r) => (r.histogram('h', 'h', [1, 2]), r.gauge('g', 'g', [], { merge: 'max' })),
    ];
    for (const build of cases) {
      const other = new Registry();
      build(other);
      assert.throws(() => mergeSnapshots([base.snapshot(), other.snapshot()]), TypeError);
    }
  });

  test('of registries that each saw part of the observations equals one registry that saw them all (property)', () => {
    const route = fc.constantFrom('auth', 'attest', 'resource');
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('count' as const), route, n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ kind: fc.constant('open' as const), delta: fc.integer({ min: -3, max: 3 }) }),
      // Quarter steps add up exactly in binary floating point, so sums compare with deepEqual.
      fc.record({ kind: fc.constant('observe' as const), route, v: fc.integer({ min: 0, max: 16 }).map((q) => q / 4) }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(op, fc.nat()), { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (ops, processes) => {
        const all = makeRegistry();
        const parts = Array.from({ length: processes }, makeRegistry);
        for (const [o, who] of ops) {
          apply(all, o);
          apply(parts[who % processes]!, o);
        }
        for (const p of [all, ...parts]) p.info.set({ version: '1' }, 1);
        assert.deepEqual(normalize(mergeSnapshots(parts.map((p) => p.r.snapshot()))), normalize(all.r.snapshot()));
      }),
      { numRuns: 200 },
    );
  });
});

describe('Registry.snapshot', () => {
  test('is a copy that later observations do not change', () => {
    const a = makeRegistry();
    a.requests.inc({ route: 'auth' });
    a.latency.observe({ route: 'auth' }, 1);
    const snap = a.r.snapshot();
    const text = renderSnapshot(snap);
    a.requests.inc({ route: 'auth' });
    a.latency.observe({ route: 'auth' }, 1);
    assert.equal(renderSnapshot(snap), text);
    assert.notEqual(a.r.expose(), text);
  });
});
