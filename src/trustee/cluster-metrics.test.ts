import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Unavailable } from '../core/index.js';
import { parsePrometheusText } from '../../test/support/prometheus-text.js';
import { startTestTrustee } from '../../test/support/trustee.js';
import { clusterMetricsHooks, joinClusterMetrics, serveClusterMetrics, type IpcChannel } from './cluster-metrics.js';
import { createKbsMetrics } from './metrics.js';

const BUILD = { version: '0.1.0', gitHash: 'test', buildDate: 'today' };

/**
 * An in-process IPC channel pair that behaves like the cluster's: asynchronous delivery of structured
 * clones. `mute` drops everything sent from that end (a hung process).
 */
function channelPair(): { primarySide: IpcChannel; workerSide: IpcChannel; mute: { worker: boolean } } {
  const mute = { worker: false };
  const toWorker = new Set<(m: unknown) => void>();
  const toPrimary = new Set<(m: unknown) => void>();
  const deliver = (to: Set<(m: unknown) => void>, m: unknown) => setImmediate(() => to.forEach((l) => l(structuredClone(m))));
  const end = (out: Set<(m: unknown) => void>, into: Set<(m: unknown) => void>, muted: () => boolean): IpcChannel => ({
    send: (m) => void (muted() || deliver(out, m)),
    listen: (l) => (into.add(l), () => void into.delete(l)),
  });
  return { primarySide: end(toWorker, toPrimary, () => false), workerSide: end(toPrimary, toWorker, () => mute.worker), mute };
}

function cluster(n: number, deadlineMs = 200) {
  const pairs = Array.from({ length: n }, channelPair);
  const stopPrimary = serveClusterMetrics(pairs.map((p) => p.primarySide), { deadlineMs });
  const workers = pairs.map((p) => {
    const metrics = createKbsMetrics(BUILD);
    return { metrics, member: joinClusterMetrics(metrics.registry, p.workerSide, { deadlineMs }), mute: p.mute };
  });
  return { workers, stop: () => (stopPrimary(), workers.forEach((w) => w.member.stop())) };
}

const sampleValue = (text: string, name: string) => parsePrometheusText(text).get(name)!.samples[0]!.value;

describe('serveClusterMetrics and joinClusterMetrics', () => {
  test('any worker renders the sum over all workers, build info once', async () => {
    const c = cluster(3);
    try {
      c.workers.forEach((w, i) => {
        for (let k = 0; k <= i; k++) w.metrics.request('auth', 'POST', 200, 0.001, 10, 20);
        w.metrics.httpActiveConnections.inc();
      });
      for (const w of c.workers) {
        const text = await w.member.render();
        assert.equal(sampleValue(text, 'kbs_http_requests_total'), 6);
        assert.equal(sampleValue(text, 'kbs_http_active_connections'), 3);
        assert.equal(sampleValue(text, 'kbs_build_info'), 1);
      }
    } finally {
      c.stop();
    }
  });

  test('answers concurrent questions each with the full count', async () => {
    const c = cluster(2);
    try {
      c.workers[0]!.metrics.auth(true);
      c.workers[1]!.metrics.auth(false);
      const texts = await Promise.all([...c.workers, ...c.workers].map((w) => w.member.render()));
      for (const t of texts) assert.equal(sampleValue(t, 'kbs_auth_requests_total'), 2);
    } finally {
      c.stop();
    }
  });

  test('fails with Unavailable naming the silent worker instead of under-reporting', async () => {
    const c = cluster(3, 50);
    try {
      c.workers[1]!.mute.worker = true;
      await assert.rejects(c.workers[0]!.member.render(), (e: unknown) => e instanceof Unavailable && /worker 2 of 3 did not answer within 50 ms/.test(e.message));
    } finally {
      c.stop();
    }
  });

  test('fails with Unavailable when the primary never answers', async () => {
    const { workerSide } = channelPair(); // nobody serves the primary side
    const member = joinClusterMetrics(createKbsMetrics(BUILD).registry, workerSide, { deadlineMs: 0 });
    try {
      await assert.rejects(member.render(), (e: unknown) => e instanceof Unavailable && /primary did not answer/.test(e.message));
    } finally {
      member.stop();
    }
  });
});

describe('clusterMetricsHooks', () => {
  test('a worker answers GET /metrics with the whole server and records into its own registry', async () => {
    const c = cluster(2);
    try {
      const hooks = clusterMetricsHooks(c.workers[0]!.metrics, c.workers[0]!.member);
      const t = await startTestTrustee({ metrics: hooks });
      c.workers[1]!.metrics.request('auth', 'POST', 200, 0.001, 1, 1);
      assert.equal((await t.call('GET', '/kbs/v0/nope')).status, 404);
      const res = await t.call('GET', '/metrics');
      assert.equal(res.status, 200);
      assert.equal(sampleValue(res.text(), 'kbs_http_requests_total'), 2);
      assert.equal(c.workers[0]!.metrics.httpRequests.get(), 1);
    } finally {
      c.stop();
    }
  });

  test('GET /metrics answers 503 with a KBS error body when a worker is silent', async () => {
    const c = cluster(2, 50);
    try {
      c.workers[1]!.mute.worker = true;
      const t = await startTestTrustee({ metrics: clusterMetricsHooks(c.workers[0]!.metrics, c.workers[0]!.member) });
      const res = await t.call('GET', '/metrics');
      assert.equal(res.status, 503);
      assert.equal(res.json().type, 'https://github.com/confidential-containers/kbs/errors/PrometheusError');
      assert.match(res.json().detail, /worker 2 of 2 did not answer/);
      assert.ok(res.headers['x-request-id']);
    } finally {
      c.stop();
    }
  });
});
