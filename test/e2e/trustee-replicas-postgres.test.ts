/**
 * Two Trustee processes on one real PostgreSQL serve one sample-TEE client whose /auth and /attest
 * land on different processes; resources, policies and reference values survive restarts on
 * PostgreSQL and on SQLite. Runs `coco trustee serve` as child processes.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decryptJwe, generateTeeKeyPair, toBase64Url, utf8, fromUtf8, type FlattenedJwe } from '../../src/core/index.js';
import { primaryRuntimeData, runtimeDataDigest, type TeePubKey } from '../../src/protocol/index.js';
import { encodeSampleEvidence } from '../../src/verifier/index.js';
import { ensureAdminKeyPair, mintAdminToken, readPem } from '../../src/trustee/index.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { postgresSkip, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startTrusteeProcess, type TrusteeProcess } from '../support/trustee-process.js';
import { parsePrometheusText } from '../support/prometheus-text.js';

// Needs the KBS server (trustee-kbs) and the Rego engine in this build.
const missing = ['src/trustee/server.ts', 'src/rego/index.ts'].filter((f) => !existsSync(join(REPO_ROOT, f)));
const skip = missing.length ? `needs ${missing.join(' and ')} (not merged yet)` : postgresSkip();

const ALLOW_ALL = 'package policy\n\ndefault allow := true\n';
const dir = mkdtempSync(join(tmpdir(), 'coco-e2e-replicas-'));
let pg: PostgresServer | undefined;
let adminToken = '';

function configFile(name: string, storage: 'Postgres' | 'Sqlite'): string {
  const signer = join(dir, 'signer.pem');
  if (!existsSync(signer)) writeFileSync(signer, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      `session_storage_type = "${storage}"`,
      '[http_server]',
      'sockets = ["127.0.0.1:0"]',
      'insecure_http = true',
      '[attestation_service.attestation_token_broker.signer]',
      `key_path = "${signer}"`,
      '[storage_backend]',
      `storage_type = "${storage}"`,
      '[storage_backend.backends.sqlite]',
      `path = "${join(dir, 'sqlite', 'kbs.sqlite')}"`,
      '[kbs]',
      `data_dir = "${join(dir, 'data')}"`,
      '[[plugins]]',
      'name = "resource"',
      '',
    ].join('\n'),
  );
  return path;
}

async function http(base: string, method: string, path: string, init: { json?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  } else if (init.raw !== undefined) {
    headers['content-type'] = 'application/octet-stream';
    body = init.raw;
  }
  const res = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const admin = (base: string, method: string, path: string, init: { json?: unknown; raw?: string } = {}) =>
  http(base, method, path, { ...init, headers: { authorization: `Bearer ${adminToken}` } });

function guest() {
  const { privateKey, jwk } = generateTeeKeyPair('P-256');
  const teePubKey = { kty: 'EC', crv: jwk.kty === 'EC' ? jwk.crv : '', alg: jwk.alg, x: jwk.kty === 'EC' ? jwk.x : '', y: jwk.kty === 'EC' ? jwk.y : '' } as TeePubKey;
  return { privateKey, teePubKey };
}

async function seed(base: string): Promise<void> {
  assert.equal((await admin(base, 'POST', '/kbs/v0/resource-policy', { json: { policy: toBase64Url(utf8(ALLOW_ALL)) } })).status, 200);
  assert.equal((await admin(base, 'POST', '/kbs/v0/resource/default/test/secret', { raw: 'shhhhhhh' })).status, 200);
  const rv = { version: '0.1.0', type: 'sample', payload: Buffer.from(JSON.stringify({ svn: ['1'] })).toString('base64') };
  assert.equal((await admin(base, 'POST', '/kbs/v0/reference-value', { json: rv })).status, 200);
}

async function expectSeeded(base: string): Promise<void> {
  const policy = await admin(base, 'GET', '/kbs/v0/resource-policy?format=rego');
  assert.equal(policy.text, ALLOW_ALL);
  const rv = await admin(base, 'GET', '/kbs/v0/reference-value/svn');
  assert.equal(rv.status, 200, rv.text);
  assert.match(rv.text, /"1"/);
  const list = await admin(base, 'GET', '/kbs/v0/resource');
  assert.ok((JSON.parse(list.text) as string[]).includes('default/test/secret'));
}

before(async () => {
  if (skip) return;
  pg = await startPostgres();
  const keys = ensureAdminKeyPair(join(dir, 'data'));
  adminToken = await mintAdminToken(readPem(keys.privateKeyPath), { role: 'admin', ttlSec: 3600 });
});
after(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Trustee replicas on one PostgreSQL', { skip }, () => {
  let a: TrusteeProcess;
  let b: TrusteeProcess;
  const env = () => ({ POSTGRES_URL: pg!.connectionString });

  before(async () => {
    const cfg = configFile('postgres.toml', 'Postgres');
    [a, b] = await Promise.all([startTrusteeProcess(['-c', cfg], env()), startTrusteeProcess(['-c', cfg], env())]);
    await seed(a.url);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test('auth on one process, attest on the other, resource from the first', async () => {
    const g = guest();
    const auth = await http(a.url, 'POST', '/kbs/v0/auth', { json: { version: '0.4.0', tee: 'sample', 'extra-params': '' } });
    assert.equal(auth.status, 200, auth.text);
    const cookie = auth.headers.get('set-cookie')!.split(';')[0]!;
    const { nonce } = JSON.parse(auth.text) as { nonce: string };
    const evidence = encodeSampleEvidence(runtimeDataDigest(primaryRuntimeData(nonce, g.teePubKey, ''), 'sha384'));
    const attest = await http(b.url, 'POST', '/kbs/v0/attest', {
      json: { 'runtime-data': { nonce, 'tee-pubkey': g.teePubKey }, 'tee-evidence': { primary_evidence: evidence, additional_evidence: '' } },
      headers: { cookie },
    });
    assert.equal(attest.status, 200, `${attest.text}\n--- A ---\n${a.output()}\n--- B ---\n${b.output()}`);
    const { token } = JSON.parse(attest.text) as { token: string };
    for (const [base, headers] of [
      [a.url, { cookie }],
      [b.url, { authorization: `Bearer ${token}` }],
    ] as const) {
      const res = await http(base, 'GET', '/kbs/v0/resource/default/test/secret', { headers });
      assert.equal(res.status, 200, res.text);
      assert.equal(fromUtf8(decryptJwe(JSON.parse(res.text) as FlattenedJwe, g.privateKey)), 'shhhhhhh');
    }
    // Each process counts what it served: B attested, A answered /auth and released by cookie.
    const metricsB = parsePrometheusText((await http(b.url, 'GET', '/metrics')).text);
    const ok = metricsB.get('kbs_attestation_successes_total')!.samples.find((x) => x.labels.tee_type === 'sample');
    assert.equal(ok?.value, 1);
    assert.equal(metricsB.get('kbs_attestation_duration_seconds')!.samples.find((x) => x.name.endsWith('_count') && x.labels.tee_type === 'sample')?.value, 1);
    const metricsA = parsePrometheusText((await http(a.url, 'GET', '/metrics')).text);
    assert.equal(metricsA.get('kbs_auth_successes_total')!.samples[0]!.value, 1);
    assert.equal(metricsA.get('kbs_resource_reads_total')!.samples.find((x) => x.labels.resource_path === 'default/test/secret')?.value, 1);
  });

  test('what one process stores the other serves, and a restarted process still has it', async () => {
    await expectSeeded(b.url);
    await a.stop();
    a = await startTrusteeProcess(['-c', configFile('postgres.toml', 'Postgres')], env());
    await expectSeeded(a.url);
  });
});

describe('Trustee on SQLite', { skip: missing.length ? skip : false }, () => {
  test('resources, policies and reference values survive a restart', async () => {
    const cfg = configFile('sqlite.toml', 'Sqlite');
    const first = await startTrusteeProcess(['-c', cfg]);
    try {
      await seed(first.url);
    } finally {
      await first.stop();
    }
    const second = await startTrusteeProcess(['-c', cfg]);
    try {
      await expectSeeded(second.url);
    } finally {
      await second.stop();
    }
  });
});
