import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { describe, test } from 'node:test';
import { ConfigError } from '../core/index.js';
import { loadConfig } from './config.js';
import { checkShareable, runTrusteeCluster, workerCountOf } from './serve-cluster.js';

const config = (storage: 'memory' | 'sqlite' | 'postgres', workers?: number) =>
  loadConfig({ cwd: '/nonexistent', env: { POSTGRES_URL: 'postgres://u@db/kbs' }, overrides: { storage, ...(workers ? { workers } : {}) } });

describe('workerCountOf', () => {
  test('is 1 unless the config, env or a flag sets it', () => {
    assert.equal(workerCountOf(config('sqlite')), 1);
    assert.equal(workerCountOf(config('sqlite', 3)), 3);
  });
});

describe('checkShareable', () => {
  test('refuses memory storage for more than one worker, naming http_server.worker_count', () => {
    assert.throws(() => checkShareable(config('memory'), 2), (e: unknown) => e instanceof ConfigError && e.key === 'http_server.worker_count' && /memory storage is private/.test(e.message));
  });

  test('accepts memory storage for one process, and SQLite or PostgreSQL for many', () => {
    checkShareable(config('memory'), 1);
    checkShareable(config('sqlite'), 8);
    checkShareable(config('postgres'), 8);
  });
});

describe('runTrusteeCluster', () => {
  test('refuses memory storage before forking any worker', async () => {
    await assert.rejects(runTrusteeCluster(config('memory'), 2), ConfigError);
    assert.deepEqual(Object.keys(cluster.workers ?? {}), []);
  });
});
