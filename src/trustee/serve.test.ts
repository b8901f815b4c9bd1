import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, toBase64Url, utf8 } from '../core/index.js';
import { loadConfig, parseConfigText } from './config.js';
import { mintAdminToken } from './admin/index.js';
import { runTrustee, trusteeOptionsFromConfig, type RunningTrustee } from './serve.js';
import { loadPolicyEngine } from './rego-engine.js';
import { SqliteStore } from './storage/sqlite.js';
import { parsePrometheusText } from '../../test/support/prometheus-text.js';
import { requireTools } from '../../test/support/system-tools.js';
import { makeSelfSignedCert } from '../../test/support/tls-cert.js';
import { request as httpsRequest } from 'node:https';

const dir = mkdtempSync(join(tmpdir(), 'coco-serve-'));
const BUILD = { version: '0.1.0', gitHash: 'test', buildDate: 'today' };
let t: RunningTrustee;

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(t.listening.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, text: await res.text() };
}

before(async () => {
  const config = loadConfig({ cwd: dir, env: {}, overrides: { port: 0, storage: 'memory' } });
  t = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD });
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('runTrustee with the embedded defaults', () => {
  test('creates the data dir admin key pair and mints a working admin token', async () => {
    assert.match(readFileSync(join(dir, 'data', 'admin-key.pem'), 'utf8'), /BEGIN PRIVATE KEY/);
    assert.ok(t.adminToken);
    const r = await call('GET', '/kbs/v0/resource', { authorization: `Bearer ${t.adminToken}` });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), []);
  });

  test('every admin endpoint rejects missing, forged, expired and wrong-role tokens', async () => {
    const key = readFileSync(join(dir, 'data', 'admin-key.pem'), 'utf8');
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const tokens: Record<string, string | undefined> = {
      missing: undefined,
      forged: await mintAdminToken(other),
      expired: await mintAdminToken(key, { now: Date.now() - 7200_000, ttlSec: 3600 }),
      'wrong role': await mintAdminToken(key, { role: 'viewer' }),
    };
    const body = JSON.stringify({ policy: toBase64Url(utf8('package policy\ndefault allow := true\n')) });
    for (const [what, token] of Object.entries(tokens)) {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      for (const [method, path, b] of [
        ['POST', '/kbs/v0/resource-policy', body],
        ['GET', '/kbs/v0/resource-policy', undefined],
        ['POST', '/kbs/v0/resource/default/key/1', 'x'],
        ['DELETE', '/kbs/v0/resource/default/key/1', undefined],
        ['GET', '/kbs/v0/audit', undefined],
        ['GET', '/kbs/v0/resource', undefined],
        ['POST', '/kbs/v0/attestation-policy', JSON.stringify({ type: 'rego', policy_id: 'default_cpu', policy: toBase64Url(utf8('package policy\n')) })],
        ['GET', '/kbs/v0/attestation-policy', undefined],
        ['GET', '/kbs/v0/attestation-policy/default_cpu', undefined],
        ['POST', '/kbs/v0/reference-value', JSON.stringify({ version: '0.1.0', type: 'sample', payload: 'e30=' })],
        ['GET', '/kbs/v0/reference-value', undefined],
        ['GET', '/kbs/v0/reference-value/svn', undefined],
      ] as const) {
        const r = await call(method, path, headers, b);
        assert.equal(r.status, 401, `${what}: ${method} ${path} -> ${r.status} ${r.text}`);
        assert.match(JSON.parse(r.text).type, /AdminAuth/);
      }
    }
    const audit = await call('GET', '/kbs/v0/audit?outcome=denied&route=admin&limit=1000', { authorization: `Bearer ${t.adminToken}` });
    assert.ok(JSON.parse(audit.text).length >= 48);
  });

  test('serves Prometheus metrics with requests and connections counted', async () => {
    const r = await call('GET', '/metrics');
    assert.equal(r.status, 200);
    const f = parsePrometheusText(r.text);
    assert.ok(f.get('kbs_http_requests_total')!.samples[0]!.value > 0);
    assert.ok(f.get('kbs_http_response_size_bytes')!.samples.find((s) => s.name.endsWith('_count'))!.value > 0);
    assert.equal(f.get('kbs_build_info')!.samples[0]!.labels.version, '0.1.0');
    assert.ok(f.get('kbs_http_active_connections')!.samples[0]!.value >= 0);
  });
});

describe('runTrustee', () => {
  test('an HTTPS config without a key pair is refused naming the key (fails closed)', async () => {
    const config = parseConfigText('[http_server]\nsockets = ["127.0.0.1:0"]\n[admin]\nauthorization_mode = "DenyAll"\n', { cwd: dir, env: {} });
    await assert.rejects(runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD }), (e: unknown) => e instanceof ConfigError && e.key === 'http_server.private_key');
  });

  test('serves HTTPS with the configured profile', { skip: requireTools('openssl') }, async () => {
    const cert = makeSelfSignedCert(dir);
    const config = parseConfigText(
      `[http_server]\nsockets = ["127.0.0.1:0"]\nprivate_key = "${cert.keyPath}"\ncertificate = "${cert.certPath}"\ntls_profile = "modern"\n[admin]\nauthorization_mode = "DenyAll"\n`,
      { cwd: dir, env: {} },
    );
    const r = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      assert.match(r.listening.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(cert.certPath);
      const get = (maxVersion: 'TLSv1.2' | 'TLSv1.3') =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest(`${r.listening.url}/healthz`, { ca, maxVersion }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
          req.on('error', reject);
          req.end();
        });
      assert.equal(await get('TLSv1.3'), 200);
      await assert.rejects(get('TLSv1.2')); // the modern profile is TLS 1.3 only
    } finally {
      await r.close();
    }
  });

  test('refuses to start when a trusted JWK set cannot be fetched (fails closed)', async () => {
    const config = parseConfigText(
      '[http_server]\nsockets = ["127.0.0.1:0"]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[attestation_token]\ntrusted_jwk_sets = ["https://127.0.0.1:1/jwks"]\n',
      { cwd: dir, env: {} },
    );
    await assert.rejects(
      runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD }),
      (e: unknown) => e instanceof ConfigError && e.key === 'attestation_token.trusted_jwk_sets' && /127\.0\.0\.1:1\/jwks: unreachable/.test(e.message),
    );
  });

  test('DenyAll answers 401 on admin endpoints even with a valid-looking token', async () => {
    const config = parseConfigText('[http_server]\nsockets = ["127.0.0.1:0"]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n', { cwd: dir, env: {} });
    const r = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      assert.equal(r.adminToken, undefined);
      const res = await fetch(`${r.listening.url}/kbs/v0/resource`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      assert.equal(res.status, 401);
    } finally {
      await r.close();
    }
  });
});

describe('runTrustee retention', () => {
  test('keeps at most the configured number of sessions and audit records', async () => {
    const config = parseConfigText(
      `[http_server]\nsockets = ["127.0.0.1:0"]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[kbs]\nsession_max_entries = 3\naudit_max_entries = 2\n[storage_backend]\nstorage_type = "Sqlite"\n[storage_backend.backends.sqlite]\npath = "${join(dir, 'retention.sqlite')}"\n`,
      { cwd: dir, env: {} },
    );
    const r = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      const post = (path: string, body: unknown) => fetch(`${r.listening.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      for (let i = 0; i < 8; i++) assert.equal((await post('/kbs/v0/auth', { version: '0.4.0', tee: 'sample', 'extra-params': '' })).status, 200);
      for (let i = 0; i < 5; i++) assert.equal((await post('/kbs/v0/auth', { version: '9.9.9', tee: 'sample', 'extra-params': '' })).status, 401);
      // A second connection to the same database file sees what the server acknowledged.
      const view = new SqliteStore({ path: join(dir, 'retention.sqlite') });
      try {
        assert.equal((await view.list('kbs_protocol_session')).length, 8);
        assert.ok((await view.list('audit')).length >= 5);
        await r.sweepNow();
        assert.equal((await view.list('kbs_protocol_session')).length, 3);
        assert.equal((await view.list('audit')).length, 2);
      } finally {
        await view.close();
      }
    } finally {
      await r.close();
    }
  });
});

describe('runTrustee version_range', () => {
  test('a Rust-style range from the config decides which /auth versions are accepted', async () => {
    const config = parseConfigText(
      '[http_server]\nsockets = ["127.0.0.1:0"]\ninsecure_http = true\n[admin]\nauthorization_mode = "DenyAll"\n[kbs]\nversion_range = ">=0.3.0, <0.5.0"\n',
      { cwd: dir, env: {} },
    );
    const r = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      const auth = (version: string) =>
        fetch(`${r.listening.url}/kbs/v0/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version, tee: 'sample', 'extra-params': '' }) });
      assert.equal((await auth('0.4.0')).status, 200);
      assert.equal((await auth('0.3.1')).status, 200);
      assert.equal((await auth('0.5.0')).status, 401);
    } finally {
      await r.close();
    }
  });
});

describe('trusteeOptionsFromConfig', () => {
  test('maps session, token, limits and version settings', () => {
    const signer = join(dir, 'signer.pem');
    writeFileSync(signer, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const jwks = join(dir, 'jwks.json');
    writeFileSync(jwks, '{"keys":[{"kty":"EC","crv":"P-256","x":"a","y":"b","alg":"ES256","kid":"k1"},{"kty":"EC","crv":"P-256","x":"a","y":"b"}]}');
    const c = parseConfigText(
      [
        '[http_server]',
        'payload_request_size = 4',
        '[attestation_token]',
        `trusted_jwk_sets = ["${jwks}"]`,
        'insecure_header_jwk = true',
        '[attestation_service]',
        'timeout = 9',
        '[attestation_service.attestation_token_broker]',
        'duration_min = 3',
        'issuer_name = "me"',
        '[attestation_service.attestation_token_broker.signer]',
        `key_path = "${signer}"`,
        '[kbs]',
        'version_range = ">=0.3.0, <0.5.0"',
        'verbose_errors = true',
      ].join('\n'),
      { cwd: dir, env: {} },
    );
    const o = trusteeOptionsFromConfig(c);
    assert.equal(o.sessionLifetimeMinutes, 9);
    assert.equal(o.bodyLimitBytes, 4 * 1024 * 1024);
    assert.equal(o.versionRange, '>=0.3.0, <0.5.0');
    assert.equal(o.verboseErrors, true);
    assert.equal(o.token?.lifetimeMinutes, 3);
    assert.equal(o.token?.issuer, 'me');
    assert.match(o.token?.signerKeyPem ?? '', /PRIVATE KEY/);
    assert.deepEqual(o.tokenTrust?.jwks?.map((k) => k.kid), ['k1']); // the key without a kid is skipped
    assert.equal(o.tokenTrust?.insecureHeaderJwk, true);
  });

  test('a missing signer key, or a remote JWK set not loaded beforehand, is a ConfigError naming the key', () => {
    const c1 = parseConfigText('[attestation_service.attestation_token_broker.signer]\nkey_path = "/nonexistent/k.pem"\n', { cwd: dir, env: {} });
    assert.throws(() => trusteeOptionsFromConfig(c1), (e: unknown) => e instanceof ConfigError && e.key === 'attestation_service.attestation_token_broker.signer.key_path');
    const c2 = parseConfigText('[attestation_token]\ntrusted_jwk_sets = ["https://idp.example/jwks"]\n', { cwd: dir, env: {} });
    assert.throws(() => trusteeOptionsFromConfig(c2), (e: unknown) => e instanceof ConfigError && e.key === 'attestation_token.trusted_jwk_sets');
  });

  test('takes the JWK set keys loaded beforehand instead of reading trusted_jwk_sets', () => {
    const c = parseConfigText('[attestation_token]\ntrusted_jwk_sets = ["https://idp.example/jwks"]\n', { cwd: dir, env: {} });
    const jwks = [{ kty: 'EC', kid: 'remote-1' }];
    assert.deepEqual(trusteeOptionsFromConfig(c, { jwks }).tokenTrust?.jwks, jwks);
  });
});
