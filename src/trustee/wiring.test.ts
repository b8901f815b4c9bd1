import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtureJson, fixturePath } from '../../test/support/fixtures.js';
import { parseConfigText } from './config.js';
import { createAdminAuthorizer } from './admin/index.js';
import { createKbsMetrics } from './metrics.js';
import { regoPolicyEngine } from './rego-engine.js';
import { createTrustee } from './server.js';
import { MemoryStore } from './storage/memory.js';
import { adminHooksOf, metricsHooksOf, optionsFromConfig, verifierEnvFromConfig } from './wiring.js';

const BASE = `
[http_server]
insecure_http = true
payload_request_size = 1
[admin]
authorization_mode = "InsecureAllowAll"
`;

describe('optionsFromConfig', () => {
  test('maps the token broker signer, session timeout, body limit and token trust', async () => {
    const config = parseConfigText(`${BASE}
[attestation_token]
insecure_header_jwk = true
extra_teekey_paths = ["/x/tee-pubkey"]
[attestation_service]
type = "coco_as_builtin"
timeout = 7
[attestation_service.attestation_token_broker]
duration_min = 9
issuer_name = "me"
[attestation_service.attestation_token_broker.signer]
key_path = "${fixturePath('tokens/jwk/signing-key.pem')}"
cert_path = "${fixturePath('tokens/jwk/cert-chain.pem')}"
`);
    const o = optionsFromConfig(config);
    assert.equal(o.sessionLifetimeMinutes, 7);
    assert.equal(o.bodyLimitBytes, 1024 * 1024);
    assert.equal(o.token?.lifetimeMinutes, 9);
    assert.equal(o.token?.issuer, 'me');
    assert.equal(o.tokenTrust?.insecureHeaderJwk, true);
    assert.deepEqual(o.tokenTrust?.extraTeeKeyPaths, ['/x/tee-pubkey']);
    const trustee = await createTrustee({ ...o, store: new MemoryStore(), policyEngine: regoPolicyEngine });
    assert.deepEqual({ keys: [trustee.signer.jwk] }, fixtureJson('tokens/jwk/expected-jwks.json'));
  });

  test('refuses a trusted certificate file that cannot be read, naming the key', () => {
    const config = parseConfigText(`${BASE}\n[attestation_token]\ntrusted_certs_paths = ["/nonexistent/ca.pem"]\n`);
    assert.throws(() => optionsFromConfig(config), { key: 'attestation_token.trusted_certs_paths' });
  });
});

describe('metricsHooksOf', () => {
  test('feeds the Prometheus registry', () => {
    const m = createKbsMetrics({ version: 't', gitHash: 'g', buildDate: 'd' });
    const hooks = metricsHooksOf(m);
    hooks.auth(true);
    hooks.attestation('sample', false, 0.01);
    hooks.policy('deny');
    hooks.resource('read', 'a/b/c');
    const text = hooks.render();
    assert.match(text, /kbs_auth_successes_total 1/);
    assert.match(text, /kbs_attestation_failures_total\{tee_type="sample"\} 1/);
    assert.match(text, /kbs_policy_violations_total 1/);
    assert.match(text, /kbs_resource_reads_total\{resource_path="a\/b\/c"\} 1/);
  });
});

describe('adminHooksOf', () => {
  test('passes identities through and refusals as Unauthorized', async () => {
    const allow = adminHooksOf(createAdminAuthorizer({ mode: 'InsecureAllowAll' } as Parameters<typeof createAdminAuthorizer>[0]));
    assert.ok((await allow.authorize('GET', '/kbs/v0/audit', {})).name);
    const deny = adminHooksOf(createAdminAuthorizer({ mode: 'DenyAll' } as Parameters<typeof createAdminAuthorizer>[0]));
    await assert.rejects(deny.authorize('GET', '/kbs/v0/audit', {}), { code: 'ERR_UNAUTHORIZED' });
  });
});

describe('verifierEnvFromConfig', () => {
  test('builds SNP and TDX collateral sources, offline store first when configured', async () => {
    const env = await verifierEnvFromConfig({ snp_verifier: { vcek_sources: [{ type: 'OfflineStore', path: '/nonexistent' }] } });
    assert.ok(env.snpVek);
    assert.ok(env.tdxCollateral);
    const q = { generation: 'Milan', chipId: new Uint8Array(64), tcb: { bootloader: 1, tee: 0, snp: 1, microcode: 1 } } as const;
    assert.equal(await env.snpVek.getVek(q), undefined);
  });

  test('refuses an unknown VCEK source type naming the key', async () => {
    await assert.rejects(verifierEnvFromConfig({ snp_verifier: { vcek_sources: [{ type: 'Carrier pigeon' }] } }), {
      key: 'snp_verifier.vcek_sources[0].type',
    });
  });
});
