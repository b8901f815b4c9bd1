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

  test('an unreachable server fails with Unavailable', async () => {
    await assert.rejects(PostgresStore.open({ connectionString: 'postgres://kbs@127.0.0.1:1/postgres' }), Unavailable);
  });
});
