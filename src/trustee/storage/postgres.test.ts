import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PostgresStore } from './postgres.js';
import { Unavailable } from '../../core/index.js';
import { kvConformance } from '../../../test/support/kv-conformance.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../../../test/support/postgres.js';

const skip = postgresSkip();
let server: PostgresServer | undefined;
before(async () => {
  if (!skip) server = await startPostgres();
});
after(async () => {
  await server?.stop();
});

kvConformance({
  name: 'postgres',
  durable: true,
  skip,
  propertyRuns: 25,
  open: (id, now) => PostgresStore.open({ connectionString: server!.connectionString, table: id.toLowerCase(), now }),
});

describe('PostgresStore', { skip }, () => {
  test('two stores on one table see each other’s writes (replicas)', async () => {
    const a = await PostgresStore.open({ connectionString: server!.connectionString, table: 'shared' });
    const b = await PostgresStore.open({ connectionString: server!.connectionString, table: 'shared' });
    try {
      await a.set('kbs_protocol_session', 'sid', new TextEncoder().encode('authed'));
      assert.equal(new TextDecoder().decode(await b.get('kbs_protocol_session', 'sid')), 'authed');
      assert.equal(await b.set('kbs_protocol_session', 'sid', new Uint8Array([1]), { overwrite: false }), false);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('replicas opening the same table at once all succeed', async () => {
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresStore.open({ connectionString: server!.connectionString, table: 'race' })));
    await Promise.all(stores.map((s) => s.close()));
  });

  test('committed data survives a restart of the PostgreSQL server itself', async () => {
    const a = await PostgresStore.open({ connectionString: server!.connectionString, table: 'durable' });
    await a.set('repository', 'default/key/1', new TextEncoder().encode('survives'));
    await a.set('kbs', 'resource-policy.rego', new TextEncoder().encode('package policy'));
    await a.set('reference_value', 'svn', new TextEncoder().encode('["1"]'));
    await a.close();
    await server!.restart();
    const b = await PostgresStore.open({ connectionString: server!.connectionString, table: 'durable' });
    try {
      assert.equal(new TextDecoder().decode(await b.get('repository', 'default/key/1')), 'survives');
      assert.equal(new TextDecoder().decode(await b.get('kbs', 'resource-policy.rego')), 'package policy');
      assert.equal(new TextDecoder().decode(await b.get('reference_value', 'svn')), '["1"]');
    } finally {
      await b.close();
    }
  });

  test('an open store reconnects after the server restarts', async () => {
    const a = await PostgresStore.open({ connectionString: server!.connectionString, table: 'reconnect' });
    try {
      await a.set('kbs', 'k', new Uint8Array([7]));
      await server!.restart();
      // The pool's old connections are gone; the first query may fail with Unavailable, a retry succeeds.
      let got: Uint8Array | undefined;
      for (let i = 0; i < 3 && got === undefined; i++) got = await a.get('kbs', 'k').catch((e: unknown) => (assert.ok(e instanceof Unavailable), undefined));
      assert.deepEqual(got, new Uint8Array([7]));
    } finally {
      await a.close();
    }
  });

  test('close is idempotent and later calls fail with Unavailable', async () => {
    const a = await PostgresStore.open({ connectionString: server!.connectionString, table: 'closing' });
    await a.close();
    await a.close();
    await assert.rejects(a.get('kbs', 'x'), Unavailable);
  });

  test('an unreachable server fails with Unavailable', async () => {
    await assert.rejects(PostgresStore.open({ connectionString: 'postgres://kbs@127.0.0.1:1/postgres' }), Unavailable);
  });
});
