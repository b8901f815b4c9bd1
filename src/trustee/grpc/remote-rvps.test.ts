import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MalformedInput, NotFound, Unavailable, Unsupported, VerificationFailed } from '../../core/index.js';
import { GrpcStatus } from '../../protocol/index.js';
import { sampleRvMessage, startTestTrustee, type TestTrustee } from '../../../test/support/trustee.js';
import { checkOf } from '../check-tag.js';
import { asServiceMethods } from './as-service.js';
import { RemoteRvps } from './remote-rvps.js';
import { remoteFailure } from './errors.js';
import { GrpcClient } from './client.js';
import { GrpcError } from './errors.js';
import { serveGrpc, type GrpcListening, type UnaryMethod } from './server.js';

let provider: TestTrustee;
let server: GrpcListening;
let queries = 0;

before(async () => {
  provider = await startTestTrustee();
  const ctx = provider.trustee.context;
  const methods: UnaryMethod[] = asServiceMethods({ as: ctx.as, policies: ctx.asPolicies, rvps: ctx.rvps, tees: ctx.settings.supportedTees, now: ctx.now }).map((m) =>
    m.path.endsWith('/QueryReferenceValue') ? { ...m, handle: (r) => (queries++, m.handle(r)) } : m,
  );
  server = await serveGrpc(methods, { port: 0 });
});

after(async () => {
  await server.close();
  await provider.trustee.close();
});

describe('RemoteRvps over gRPC', () => {
  test('registers at the provider and reads values back; unknown names are undefined', async () => {
    const c = new GrpcClient(server.url);
    try {
      const rvps = new RemoteRvps(c);
      assert.deepEqual(await rvps.register(sampleRvMessage({ launch_digest: ['abc'] }) as never), []);
      assert.deepEqual((await provider.trustee.context.rvps.get('launch_digest'))?.value, ['abc']);
      assert.deepEqual(await rvps.get('launch_digest'), { value: ['abc'] });
      assert.equal(await rvps.get('nothing'), undefined);
      await assert.rejects(rvps.list(), Unsupported);
      await assert.rejects(rvps.register({ version: '0.1.0', type: 'sample', payload: '!!' }), (e: unknown) => e instanceof MalformedInput || e instanceof VerificationFailed);
    } finally {
      c.close();
    }
  });

  test('a snapshot fetches missing names once per cache period, absent ones included', async () => {
    const c = new GrpcClient(server.url);
    try {
      await provider.trustee.context.rvps.register(sampleRvMessage({ cached: [1] }) as never, provider.clock.now);
      const rvps = new RemoteRvps(c, { cacheMs: 1000 });
      const t0 = 1_000_000;
      const empty = await rvps.snapshot(t0);
      assert.equal(empty.values.size, 0);
      assert.ok(empty.more, 'a remote snapshot is partial');
      const before = queries;
      const filled = await empty.more(['cached', 'absent']);
      assert.deepEqual(filled.values.get('cached'), [1]);
      assert.equal(filled.values.has('absent'), false);
      assert.equal(queries - before, 2);
      const again = await (await rvps.snapshot(t0 + 500)).more!(['cached', 'absent']);
      assert.deepEqual(again.values.get('cached'), [1]);
      assert.equal(queries - before, 2, 'within the period nothing is asked again');
      const later = await rvps.snapshot(t0 + 1500);
      assert.equal(later.values.size, 0, 'after the period values are fetched afresh');
    } finally {
      c.close();
    }
  });

  test('a provider that is not there is Unavailable with the check rvps.remote.unavailable', async () => {
    const c = new GrpcClient('http://127.0.0.1:9', { timeoutMs: 2000 });
    try {
      const rvps = new RemoteRvps(c);
      await assert.rejects(rvps.get('x'), (e: unknown) => e instanceof Unavailable && checkOf(e, '') === 'rvps.remote.unavailable');
      await assert.rejects((await rvps.snapshot(0)).more!(['x']), Unavailable);
    } finally {
      c.close();
    }
  });
});

describe('remoteFailure', () => {
  test('maps gRPC statuses to our error classes, keeping the status name in the message', () => {
    const unavailable = remoteFailure(new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, 'slow'), 'asked', 'as.remote');
    assert.ok(unavailable instanceof Unavailable);
    assert.match(unavailable.message, /^asked: DEADLINE_EXCEEDED: slow$/);
    assert.ok(remoteFailure(new GrpcError(GrpcStatus.NOT_FOUND, 'x'), 'a', 'c') instanceof NotFound);
    assert.ok(remoteFailure(new GrpcError(GrpcStatus.INVALID_ARGUMENT, 'x'), 'a', 'c') instanceof MalformedInput);
    const refused = remoteFailure(new GrpcError(GrpcStatus.ABORTED, 'as upstream answers'), 'a', 'as.remote');
    assert.ok(refused instanceof VerificationFailed);
    assert.equal((refused as VerificationFailed).check, 'as.remote');
    const other = new TypeError('not gRPC');
    assert.equal(remoteFailure(other, 'a', 'c'), other);
  });
});
