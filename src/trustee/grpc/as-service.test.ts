import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, NotFound, Unsupported, VerificationFailed, digest } from '../../core/index.js';
import {
  AS_METHODS,
  ATTESTATION_REQUEST,
  ATTESTATION_RESPONSE,
  CHALLENGE_REQUEST,
  CHALLENGE_RESPONSE,
  GrpcStatus,
  INDIVIDUAL_ATTESTATION_REQUEST,
  REFERENCE_VALUE_QUERY_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  HEALTH_CHECK_PATH,
  HEALTH_CHECK_REQUEST,
  HEALTH_CHECK_RESPONSE,
  HEALTH_STATUS,
  decodeMessage,
  encodeMessage,
  primaryRuntimeData,
  runtimeDataDigest,
  type ProtoMessage,
} from '../../protocol/index.js';
import { encodeSampleEvidence } from '../../verifier/sample/index.js';
import type { EvidenceItem } from '../as/attestation-service.js';
import { SAMPLE_AFFIRMING_RVS, b64url, sampleGuest, sampleRvMessage, startTestTrustee, type TestTrustee } from '../../../test/support/trustee.js';
import { AS_SERVICE_NAMES, asServiceMethods, evidenceItemOf, healthCheckMethod } from './as-service.js';
import { individualRequestOf } from './remote-as.js';
import { GrpcClient } from './client.js';
import { GrpcError } from './errors.js';
import { serveGrpc, type GrpcListening, type UnaryMethod } from './server.js';

let t: TestTrustee;
let methods: Map<string, UnaryMethod>;

before(async () => {
  t = await startTestTrustee();
  const ctx = t.trustee.context;
  methods = new Map(asServiceMethods({ as: ctx.as, policies: ctx.asPolicies, rvps: ctx.rvps, tees: ctx.settings.supportedTees, now: ctx.now }).map((m) => [m.path, m]));
  await ctx.rvps.register(JSON.parse(JSON.stringify(sampleRvMessage(SAMPLE_AFFIRMING_RVS))), ctx.now().getTime());
});

after(async () => {
  await t.trustee.close();
});

/** Call a method in process, through its wire encoding both ways. */
async function call(path: string, request: ProtoMessage): Promise<ProtoMessage> {
  const m = methods.get(path)!;
  const decoded = decodeMessage(m.request, encodeMessage(m.request, request));
  return decodeMessage(m.response, encodeMessage(m.response, await m.handle(decoded)));
}

const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function sampleRequest(structured: boolean): ProtoMessage {
  const guest = sampleGuest();
  const rd = primaryRuntimeData('bm9uY2U', guest.teePubKey, '');
  const reportData = structured ? runtimeDataDigest(rd, 'sha384') : digest('sha384', new TextEncoder().encode('raw bytes'));
  const r: ProtoMessage = { tee: 'sample', evidence: b64url(JSON.stringify(encodeSampleEvidence(reportData))), runtime_data_hash_algorithm: 'sha384' };
  if (structured) r.structured_runtime_data = JSON.stringify(rd);
  else r.raw_runtime_data = b64u(reportData);
  return r;
}

function claimsOf(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
}

describe('AS gRPC service', () => {
  test('AttestationEvaluate appraises structured runtime data and signs a token that names it', async () => {
    const res = await call(AS_METHODS.attestationEvaluate, { verification_requests: [sampleRequest(true)], policy_ids: [] });
    const claims = claimsOf(res.attestation_token as string);
    assert.equal(claims.submods.cpu0['ear.status'], 'affirming');
    assert.equal(claims.submods.cpu0['ear.appraisal-policy-id'], 'default');
    assert.ok(claims.submods.cpu0['ear.veraison.annotated-evidence'].runtime_data_claims, 'structured runtime data is shown');
    t.trustee.context.tokens.verify(res.attestation_token as string, t.trustee.context.now());
  });

  test('raw runtime data must equal the report data itself', async () => {
    const ok = await call(AS_METHODS.attestationEvaluate, { verification_requests: [sampleRequest(false)], policy_ids: ['default'] });
    assert.equal(claimsOf(ok.attestation_token as string).submods.cpu0['ear.status'], 'affirming');
    const wrong = sampleRequest(false);
    wrong.raw_runtime_data = b64u(new Uint8Array(48));
    await assert.rejects(call(AS_METHODS.attestationEvaluate, { verification_requests: [wrong], policy_ids: [] }), VerificationFailed);
  });

  test('init-data arrives as TOML (checked and shown) or as a digest (compared only)', async () => {
    const toml = 'version = "0.1.0"\nalgorithm = "sha384"\n[data]\n"k" = "v"\n';
    const withToml = { ...sampleRequest(true), init_data_toml: toml };
    const claims = claimsOf((await call(AS_METHODS.attestationEvaluate, { verification_requests: [withToml], policy_ids: [] })).attestation_token as string);
    assert.deepEqual(claims.submods.cpu0['ear.veraison.annotated-evidence'].init_data_claims, { k: 'v' });
    const withDigest = { ...sampleRequest(true), init_data_digest: b64u(digest('sha384', new TextEncoder().encode(toml))) };
    const c2 = claimsOf((await call(AS_METHODS.attestationEvaluate, { verification_requests: [withDigest], policy_ids: [] })).attestation_token as string);
    const annotated = c2.submods.cpu0['ear.veraison.annotated-evidence'];
    assert.equal(annotated.init_data_claims, null, 'a digest has no data to show');
    assert.equal(Buffer.from(annotated.init_data, 'base64').toString('base64url'), withDigest.init_data_digest);
  });

  test('requests that do not parse are MalformedInput naming the field', async () => {
    const bad = async (patch: ProtoMessage, where: RegExp) =>
      assert.rejects(call(AS_METHODS.attestationEvaluate, { verification_requests: [{ ...sampleRequest(true), ...patch }], policy_ids: [] }), (e: unknown) => e instanceof MalformedInput && where.test(e.where ?? ''));
    await bad({ tee: 'no-such-tee' }, /verification_requests\[0\]\.tee/);
    await bad({ evidence: '***' }, /evidence/);
    await bad({ evidence: b64url('not json') }, /evidence/);
    await bad({ evidence: Buffer.from('{}').toString('base64') + '=' }, /evidence/);
    await bad({ structured_runtime_data: '[1,2]' }, /structured_runtime_data/);
    await bad({ runtime_data_hash_algorithm: 'md5' }, /runtime_data_hash_algorithm/);
    await assert.rejects(call(AS_METHODS.attestationEvaluate, { verification_requests: [], policy_ids: [] }), MalformedInput);
  });

  test('an unknown policy id is NotFound', async () => {
    await assert.rejects(call(AS_METHODS.attestationEvaluate, { verification_requests: [sampleRequest(true)], policy_ids: ['nope'] }), NotFound);
  });

  test('SetAttestationPolicy stores base64url Rego; padded or invalid ids are refused', async () => {
    const text = 'package policy\nimport rego.v1\ntrust_claims := {"executables": 2}\n';
    await call(AS_METHODS.setAttestationPolicy, { policy_id: 'mine_cpu', policy: b64url(text) });
    assert.equal(await t.trustee.context.asPolicies.text('mine_cpu'), text);
    await assert.rejects(call(AS_METHODS.setAttestationPolicy, { policy_id: 'mine_cpu', policy: Buffer.from('x').toString('base64') }), MalformedInput);
    await assert.rejects(call(AS_METHODS.setAttestationPolicy, { policy_id: '../x', policy: b64url(text) }), MalformedInput);
  });

  test('GetAttestationChallenge answers empty for TEEs verified here and needs tee and tee_params', async () => {
    assert.deepEqual(await call(AS_METHODS.getAttestationChallenge, { inner: { tee: 'sample', tee_params: '{}' } }), { attestation_challenge: '' });
    await assert.rejects(call(AS_METHODS.getAttestationChallenge, { inner: { tee: 'sample' } }), MalformedInput);
    await assert.rejects(call(AS_METHODS.getAttestationChallenge, { inner: { tee: 'nope', tee_params: '' } }), MalformedInput);
  });

  test('an expired reference value is answered as absent, as policies see it', async () => {
    const ctx = t.trustee.context;
    await call(AS_METHODS.registerReferenceValue, { message: JSON.stringify(sampleRvMessage({ short_lived: ['v'] })) });
    assert.deepEqual(JSON.parse((await call(AS_METHODS.queryReferenceValue, { reference_value_id: 'short_lived' })).reference_value_results as string), ['v']);
    const saved = t.clock.now;
    t.clock.now += 400 * 24 * 3600 * 1000; // past the 12-month lifetime
    try {
      assert.ok((await ctx.rvps.get('short_lived')) !== undefined, 'still stored');
      assert.deepEqual(await call(AS_METHODS.queryReferenceValue, { reference_value_id: 'short_lived' }), { reference_value_results: undefined });
    } finally {
      t.clock.now = saved;
    }
  });

  test('reference values register from the RVPS message JSON and query back as JSON, absent when unknown', async () => {
    await call(AS_METHODS.registerReferenceValue, { message: JSON.stringify(sampleRvMessage({ grpc_rv: ['a', 'b'] })) });
    const res = await call(AS_METHODS.queryReferenceValue, { reference_value_id: 'grpc_rv' });
    assert.deepEqual(JSON.parse(res.reference_value_results as string), ['a', 'b']);
    assert.deepEqual(await call(AS_METHODS.queryReferenceValue, { reference_value_id: 'unknown' }), { reference_value_results: undefined });
    await assert.rejects(call(AS_METHODS.registerReferenceValue, { message: '{"version":"9","type":"sample","payload":""}' }), MalformedInput);
    await assert.rejects(call(AS_METHODS.registerReferenceValue, { message: 'not json' }), MalformedInput);
    await assert.rejects(call(AS_METHODS.registerReferenceValue, { message: JSON.stringify({ version: '0.1.0', type: 'spdx', payload: '' }) }), (e: unknown) => e instanceof Unsupported || e instanceof MalformedInput);
  });
});

describe('the KBS request and the AS reading of it', () => {
  const items = fc.record(
    {
      tee: fc.constantFrom('sample', 'snp', 'tdx', 'az-snp-vtpm', 'sampledevice'),
      evidence: fc.jsonValue(),
      runtimeData: fc.dictionary(fc.string(), fc.jsonValue()),
      hashAlgorithm: fc.constantFrom('sha256', 'sha384', 'sha512'),
      initBody: fc.option(fc.string(), { nil: undefined }),
    },
    { requiredKeys: ['tee', 'evidence', 'runtimeData', 'hashAlgorithm'] },
  );

  test('individualRequestOf and evidenceItemOf are inverse through the wire encoding (property)', () => {
    fc.assert(
      fc.property(items, (x) => {
        const item = { tee: x.tee, evidence: x.evidence, runtimeData: x.runtimeData, hashAlgorithm: x.hashAlgorithm } as EvidenceItem;
        if (x.initBody !== undefined) item.initData = { format: 'toml', body: x.initBody };
        const wire = encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, individualRequestOf(item));
        const back = evidenceItemOf(decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, wire), 'r');
        // JSON round trip: -0 becomes 0, as it does for upstream.
        assert.deepEqual(back, JSON.parse(JSON.stringify(item)));
      }),
      { numRuns: 300 },
    );
  });

  test('a raw runtime data item and a digest travel as base64url', () => {
    const item: EvidenceItem = { tee: 'sample', evidence: {}, rawRuntimeData: Uint8Array.of(1, 2, 3), initDataDigest: Uint8Array.of(9), hashAlgorithm: 'sha384' };
    const req = individualRequestOf(item);
    assert.equal(req.raw_runtime_data, 'AQID');
    assert.equal(req.init_data_digest, 'CQ');
    assert.deepEqual(evidenceItemOf(req, 'r'), item);
    assert.throws(() => individualRequestOf({ ...item, initDataDigest: undefined, initData: { format: 'json', body: '{}' } } as EvidenceItem), MalformedInput);
  });
});

describe('AS gRPC service over HTTP/2', () => {
  let server: GrpcListening;
  before(async () => {
    server = await serveGrpc([...methods.values(), healthCheckMethod(AS_SERVICE_NAMES)], { port: 0 });
  });
  after(async () => {
    await server.close();
  });

  test('answers AttestationEvaluate and maps a verification failure to PERMISSION_DENIED', async () => {
    const c = new GrpcClient(server.url);
    try {
      const res = await c.unary(AS_METHODS.attestationEvaluate, ATTESTATION_REQUEST, { verification_requests: [sampleRequest(true)], policy_ids: [] }, ATTESTATION_RESPONSE);
      assert.equal(claimsOf(res.attestation_token as string).submods.cpu0['ear.status'], 'affirming');
      const wrong = { ...sampleRequest(false), raw_runtime_data: b64u(new Uint8Array(48)) };
      await assert.rejects(
        c.unary(AS_METHODS.attestationEvaluate, ATTESTATION_REQUEST, { verification_requests: [wrong], policy_ids: [] }, ATTESTATION_RESPONSE),
        (e: unknown) => e instanceof GrpcError && e.code === GrpcStatus.PERMISSION_DENIED,
      );
      const challenge = await c.unary(AS_METHODS.getAttestationChallenge, CHALLENGE_REQUEST, { inner: { tee: 'sample', tee_params: '' } }, CHALLENGE_RESPONSE);
      assert.equal(challenge.attestation_challenge, '');
      const rv = await c.unary(AS_METHODS.queryReferenceValue, REFERENCE_VALUE_QUERY_REQUEST, { reference_value_id: 'svn' }, REFERENCE_VALUE_QUERY_RESPONSE);
      assert.deepEqual(JSON.parse(rv.reference_value_results as string), ['1']);
      // The standard health check: the server and each service are SERVING (on the wire 08 01, as grpc-health-probe reads it); others are NOT_FOUND.
      assert.deepEqual(encodeMessage(HEALTH_CHECK_RESPONSE, { status: HEALTH_STATUS.SERVING }), Uint8Array.of(0x08, 0x01));
      for (const service of ['', ...AS_SERVICE_NAMES]) {
        assert.deepEqual(await c.unary(HEALTH_CHECK_PATH, HEALTH_CHECK_REQUEST, { service }, HEALTH_CHECK_RESPONSE), { status: HEALTH_STATUS.SERVING });
      }
      await assert.rejects(c.unary(HEALTH_CHECK_PATH, HEALTH_CHECK_REQUEST, { service: 'other.Svc' }, HEALTH_CHECK_RESPONSE), (e: unknown) => e instanceof GrpcError && e.code === GrpcStatus.NOT_FOUND);
    } finally {
      c.close();
    }
  });
});
