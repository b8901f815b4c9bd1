/**
 * A split deployment over real sockets: `coco trustee serve-as` (runAsServer: the AS and RVPS behind
 * upstream's gRPC interface, with a signer certificate from a test CA) and a KBS from an upstream-style
 * config with `[attestation_service] type = "coco_as_grpc"` (runTrustee) that trusts that CA.
 * The sample handshake runs over HTTP against the KBS, which calls the AS over HTTP/2; the admin
 * API's policy and reference-value writes reach the AS process; refusals, an untrusted AS signer and
 * an AS that is down each fail the attestation with an audit record naming the check.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, flattenedDecrypt } from 'jose';
import { ConfigError } from '../../src/core/index.js';
import { isLoopbackHost, loadPolicyEngine, parseConfigText, runAsServer, runTrustee, type RunningAsServer, type RunningTrustee } from '../../src/trustee/index.js';
import { REPO_ROOT } from '../support/fixtures.js';
import { requireTools } from '../support/system-tools.js';
import { startTrusteeProcess } from '../support/trustee-process.js';
import { makeTestCa, type TestCa } from '../support/test-ca.js';
import { ALLOW_RESOURCE_PLUGIN, SAMPLE_AFFIRMING_RVS, b64url, sampleAttestation, sampleGuest, sampleRvMessage, sha256Hex, type SampleGuest } from '../support/trustee.js';

const SKIP = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-grpc-as-'));
const BUILD = { version: '0', gitHash: 'x', buildDate: 'x' };
let as: RunningAsServer;
let kbs: RunningTrustee;
let ca: TestCa;
let asConfigText: string;

/** A KBS on a free port, plain HTTP, admin open, memory storage, then `sections`. */
function localKbs(...sections: string[]): string {
  return ['[http_server]', 'sockets = ["127.0.0.1:0"]', 'insecure_http = true', '[admin]', 'authorization_mode = "InsecureAllowAll"', '[storage_backend]', 'storage_type = "Memory"', ...sections].join('\n');
}

function kbsConfig(asAddr: string, trust: string): string {
  return localKbs(
    '[attestation_token]',
    trust,
    '[attestation_service]',
    'type = "coco_as_grpc"',
    `as_addr = "${asAddr}"`,
    'pool_size = 4',
    '[kbs]',
    'verbose_errors = true',
  );
}

async function startKbs(asAddr: string, trust = `trusted_certs_paths = ["${join(dir, 'ca.pem')}"]`): Promise<RunningTrustee> {
  return runTrustee(parseConfigText(kbsConfig(asAddr, trust), { cwd: dir, env: {} }), { policyEngine: await loadPolicyEngine(), build: BUILD });
}

async function http(url: string, method: string, path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function attest(url: string, guest: SampleGuest, opts: { initData?: string; bindNonce?: string } = {}) {
  const auth = await http(url, 'POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample', 'extra-params': {} } });
  assert.equal(auth.status, 200, auth.text);
  const cookie = auth.headers.get('set-cookie')!.split(';')[0]!;
  const { nonce } = JSON.parse(auth.text) as { nonce: string };
  const res = await http(url, 'POST', '/kbs/v0/attest', { body: sampleAttestation(guest, nonce, opts), headers: { cookie } });
  return { cookie, status: res.status, text: res.text };
}

async function lastAudit(url: string): Promise<{ check: string; detail: string; outcome: string }> {
  const res = await http(url, 'GET', '/kbs/v0/audit?route=attest&limit=1');
  assert.equal(res.status, 200, res.text);
  return (JSON.parse(res.text) as Array<{ check: string; detail: string; outcome: string }>)[0]!;
}

before(async () => {
  if (SKIP) return;
  ca = makeTestCa();
  writeFileSync(join(dir, 'ca.pem'), ca.caPem);
  writeFileSync(join(dir, 'signer.key'), ca.keyPem);
  writeFileSync(join(dir, 'signer.pem'), ca.certPem);
  writeFileSync(join(dir, 'client.pem'), ca.clientCertPem);
  writeFileSync(join(dir, 'client.key'), ca.clientKeyPem);
  asConfigText = [
    '[storage_backend]',
    'storage_type = "Memory"',
    '[attestation_service]',
    'type = "coco_as_builtin"',
    '[attestation_service.attestation_token_broker]',
    'issuer_name = "split-as"',
    '[attestation_service.attestation_token_broker.signer]',
    `key_path = "${join(dir, 'signer.key')}"`,
    `cert_path = "${join(dir, 'signer.pem')}"`,
  ].join('\n');
  as = await runAsServer(parseConfigText(asConfigText, { cwd: dir, env: {} }), { port: 0 }, { policyEngine: await loadPolicyEngine(), log: () => {} });
  kbs = await startKbs(as.url);
  const url = kbs.listening.url;
  assert.equal((await http(url, 'POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_RESOURCE_PLUGIN) } })).status, 200);
  assert.equal((await http(url, 'POST', '/kbs/v0/resource/default/split/key', { raw: 'split-secret', headers: { 'content-type': 'application/octet-stream' } })).status, 200);
});

after(async () => {
  await kbs?.close();
  await as?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('KBS with a remote attestation service over gRPC', { skip: SKIP }, () => {
  test('reference values registered at the KBS land in the remote RVPS and can be read back through it', async () => {
    const url = kbs.listening.url;
    const res = await http(url, 'POST', '/kbs/v0/reference-value', { body: sampleRvMessage(SAMPLE_AFFIRMING_RVS) });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((await as.trustee.context.rvps.get('svn'))?.value, ['1'], 'stored by the AS process');
    const back = await http(url, 'GET', '/kbs/v0/reference-value/svn');
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(JSON.parse(back.text), ['1']);
    // A name the RVPS does not hold answers as in the built-in mode: 401 RvpsError.
    const missing = await http(url, 'GET', '/kbs/v0/reference-value/nothing-here');
    assert.equal(missing.status, 401);
    assert.match(JSON.parse(missing.text).type, /RvpsError$/);
  });

  test('the sample handshake releases the secret with a token signed by the remote service', async () => {
    const url = kbs.listening.url;
    const guest = sampleGuest('P-256');
    const a = await attest(url, guest);
    assert.equal(a.status, 200, a.text);
    const { token } = JSON.parse(a.text) as { token: string };
    const claims = decodeJwt(token) as Record<string, any>;
    assert.equal(claims.iss, 'split-as');
    assert.equal(claims.submods.cpu0['ear.status'], 'affirming');
    assert.ok((decodeProtectedHeader(token).jwk as { x5c?: string[] }).x5c?.length, 'the header carries the signer chain');
    const res = await http(url, 'GET', '/kbs/v0/resource/default/split/key', { headers: { cookie: a.cookie } });
    assert.equal(res.status, 200, res.text);
    const { plaintext } = await flattenedDecrypt(JSON.parse(res.text), guest.privateKey);
    assert.equal(Buffer.from(plaintext).toString(), 'split-secret');
    // The bearer flow verifies the same token against the configured CA.
    const bearer = await http(url, 'GET', '/kbs/v0/resource/default/split/key', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(bearer.status, 200, bearer.text);
  });

  test('init-data travels as TOML and shows in the remote token', async () => {
    const initData = ['version = "0.1.0"', 'algorithm = "sha256"', '[data]', '"note.txt" = "split"', ''].join('\n');
    const a = await attest(kbs.listening.url, sampleGuest(), { initData });
    assert.equal(a.status, 200, a.text);
    const evidence = (decodeJwt((JSON.parse(a.text) as { token: string }).token) as any).submods.cpu0['ear.veraison.annotated-evidence'];
    assert.equal(Buffer.from(evidence.init_data, 'base64').toString('hex'), sha256Hex(initData));
    assert.deepEqual(evidence.init_data_claims, { 'note.txt': 'split' });
  });

  test('an attestation policy set at the KBS is used by the remote service; reading it back is refused by name', async () => {
    const url = kbs.listening.url;
    const text = (await as.trustee.context.asPolicies.text('default_cpu'))!;
    // A policy that lowers every verdict: the same evidence now fails the resource policy.
    const strict = 'package policy\nimport rego.v1\ntrust_claims := {"executables": 33, "hardware": 97, "configuration": 36}\n';
    assert.equal((await http(url, 'POST', '/kbs/v0/attestation-policy', { body: { policy_id: 'default_cpu', policy: b64url(strict) } })).status, 200);
    try {
      assert.equal(await as.trustee.context.asPolicies.text('default_cpu'), strict, 'stored by the AS process');
      const a = await attest(url, sampleGuest());
      assert.equal(a.status, 200, a.text);
      const claims = decodeJwt((JSON.parse(a.text) as { token: string }).token) as any;
      assert.equal(claims.submods.cpu0['ear.status'], 'contraindicated');
      const read = await http(url, 'GET', '/kbs/v0/attestation-policy/default_cpu');
      assert.equal(read.status, 401);
      assert.match(read.text, /remote attestation service \(coco_as_grpc\)/);
    } finally {
      await as.trustee.context.asPolicies.set('default_cpu', text);
    }
  });

  test('evidence the remote service refuses fails the attestation, audited with the remote reason', async () => {
    const url = kbs.listening.url;
    const a = await attest(url, sampleGuest(), { bindNonce: 'another-nonce' });
    assert.equal(a.status, 401, a.text);
    const rec = await lastAudit(url);
    assert.equal(rec.check, 'as.remote');
    assert.match(rec.detail, /PERMISSION_DENIED/);
    assert.match(rec.detail, /report/i);
  });

  test('a KBS that does not trust the service signer refuses its tokens at attest', async () => {
    const other = makeTestCa();
    writeFileSync(join(dir, 'other-ca.pem'), other.caPem);
    const k = await startKbs(as.url, `trusted_certs_paths = ["${join(dir, 'other-ca.pem')}"]`);
    try {
      const a = await attest(k.listening.url, sampleGuest());
      assert.equal(a.status, 401, a.text);
      const rec = await lastAudit(k.listening.url);
      assert.equal(rec.check, 'as.remote.token');
      assert.match(rec.detail, /\[attestation_token\] trust/);
    } finally {
      await k.close();
    }
  });

  test('an attestation service that is down makes attestation unavailable, audited as such', async () => {
    const k = await startKbs('http://127.0.0.1:9');
    try {
      const a = await attest(k.listening.url, sampleGuest());
      assert.equal(a.status, 401, 'an attestation failure, as upstream answers every one');
      const rec = await lastAudit(k.listening.url);
      assert.equal(rec.check, 'as.remote.unavailable');
      assert.match(rec.detail, /UNAVAILABLE/);
    } finally {
      await k.close();
    }
  });

  test('as processes: coco trustee serve-as and a coco trustee serve in coco_as_grpc mode complete a handshake', async () => {
    writeFileSync(
      join(dir, 'as.toml'),
      [
        '[storage_backend]',
        'storage_type = "Memory"',
        '[attestation_service.attestation_token_broker.signer]',
        `key_path = "${join(dir, 'signer.key')}"`,
        `cert_path = "${join(dir, 'signer.pem')}"`,
      ].join('\n'),
    );
    const asProc = await startTrusteeProcess(['-c', join(dir, 'as.toml'), '--port', '0'], {}, 30_000, 'serve-as');
    try {
      assert.match(asProc.output(), /attestation\.AttestationService, reference\.ReferenceValueProviderService/);
      writeFileSync(join(dir, 'kbs.toml'), kbsConfig(asProc.url, `trusted_certs_paths = ["${join(dir, 'ca.pem')}"]`));
      const kbsProc = await startTrusteeProcess(['-c', join(dir, 'kbs.toml')]);
      try {
        const url = kbsProc.url;
        assert.equal((await http(url, 'POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_RESOURCE_PLUGIN) } })).status, 200);
        assert.equal((await http(url, 'POST', '/kbs/v0/reference-value', { body: sampleRvMessage(SAMPLE_AFFIRMING_RVS) })).status, 200);
        assert.equal((await http(url, 'POST', '/kbs/v0/resource/default/proc/key', { raw: 'from-processes', headers: { 'content-type': 'application/octet-stream' } })).status, 200);
        const guest = sampleGuest('P-384');
        const a = await attest(url, guest);
        assert.equal(a.status, 200, a.text);
        assert.equal((decodeJwt((JSON.parse(a.text) as { token: string }).token) as any).submods.cpu0['ear.status'], 'affirming');
        const res = await http(url, 'GET', '/kbs/v0/resource/default/proc/key', { headers: { cookie: a.cookie } });
        assert.equal(res.status, 200, res.text);
        assert.equal(Buffer.from((await flattenedDecrypt(JSON.parse(res.text), guest.privateKey)).plaintext).toString(), 'from-processes');
      } finally {
        await kbsProc.stop();
      }
    } finally {
      await asProc.stop();
    }
  });

  test('serve-as listens on loopback only unless remote listening is asked for', async () => {
    const config = parseConfigText('[storage_backend]\nstorage_type = "Memory"\n', { cwd: dir, env: {} });
    await assert.rejects(
      runAsServer(config, { host: '0.0.0.0', port: 0 }, { policyEngine: await loadPolicyEngine() }),
      (e: unknown) => e instanceof ConfigError && e.key === '--host' && /no authentication/.test(e.message),
    );
    for (const host of ['127.0.0.1', '127.9.8.7', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '10.0.0.1', '::', 'as.example']) assert.equal(isLoopbackHost(host), false, host);
    // With allowRemote the guard steps aside: a TEST-NET address this machine does not have then fails
    // at listen (tests listen on 127.0.0.1 only, so nothing is opened).
    await assert.rejects(runAsServer(config, { host: '192.0.2.1', port: 0, allowRemote: true }, { policyEngine: await loadPolicyEngine() }), (e: unknown) => !(e instanceof ConfigError) && /EADDRNOTAVAIL/.test(String(e)));
  });

  test('the built-in AS with a GrpcRemote RVPS takes reference values from the other process', async () => {
    // The address without its scheme, as upstream's default is written.
    const config = localKbs('[attestation_service]', 'type = "coco_as_builtin"', '[attestation_service.rvps_config]', 'type = "GrpcRemote"', `address = "${as.url.replace('http://', '')}"`);
    const k = await runTrustee(parseConfigText(config, { cwd: dir, env: {} }), { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      const url = k.listening.url;
      // A value only the remote RVPS holds decides the verdict: without it the local AS could not affirm.
      await as.trustee.context.rvps.register(JSON.parse(JSON.stringify(sampleRvMessage({ launch_digest: ['abcde'], svn: ['1'], major_version: 1, minimum_minor_version: 1 }))), Date.now());
      assert.equal((await http(url, 'POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_RESOURCE_PLUGIN) } })).status, 200);
      const a = await attest(url, sampleGuest());
      assert.equal(a.status, 200, a.text);
      const claims = decodeJwt((JSON.parse(a.text) as { token: string }).token) as any;
      assert.equal(claims.submods.cpu0['ear.status'], 'affirming');
      // The admin API reads and writes the remote RVPS.
      assert.equal((await http(url, 'POST', '/kbs/v0/reference-value', { body: sampleRvMessage({ via_kbs: ['x'] }) })).status, 200);
      assert.deepEqual((await as.trustee.context.rvps.get('via_kbs'))?.value, ['x']);
      assert.deepEqual(JSON.parse((await http(url, 'GET', '/kbs/v0/reference-value/via_kbs')).text), ['x']);
    } finally {
      await k.close();
    }
  });
});

describe('KBS and attestation service over mutual TLS', { skip: SKIP }, () => {
  let tlsAs: RunningAsServer;
  before(async () => {
    if (SKIP) return;
    tlsAs = await runAsServer(parseConfigText(asConfigText, { cwd: dir, env: {} }), { port: 0, tls: { cert: ca.certPem, key: ca.keyPem, clientCa: ca.caPem } }, { policyEngine: await loadPolicyEngine(), log: () => {} });
    await tlsAs.trustee.context.rvps.register(JSON.parse(JSON.stringify(sampleRvMessage(SAMPLE_AFFIRMING_RVS))), Date.now());
  });
  after(async () => {
    await tlsAs?.close();
  });

  function tlsKbs(keys: string[]): string {
    return localKbs(
      '[attestation_token]',
      `trusted_certs_paths = ["${join(dir, 'ca.pem')}"]`,
      '[attestation_service]',
      'type = "coco_as_grpc"',
      `as_addr = "${tlsAs.url}"`,
      ...keys,
      '[kbs]',
      'verbose_errors = true',
    );
  }

  test('a KBS with the CA and a client certificate attests through the TLS service', async () => {
    assert.match(tlsAs.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const config = tlsKbs([`as_ca_cert = "${join(dir, 'ca.pem')}"`, `as_client_cert = "${join(dir, 'client.pem')}"`, `as_client_key = "${join(dir, 'client.key')}"`]);
    const k = await runTrustee(parseConfigText(config, { cwd: dir, env: {} }), { policyEngine: await loadPolicyEngine(), build: BUILD });
    try {
      const a = await attest(k.listening.url, sampleGuest());
      assert.equal(a.status, 200, a.text);
      assert.equal((decodeJwt((JSON.parse(a.text) as { token: string }).token) as any).submods.cpu0['ear.status'], 'affirming');
    } finally {
      await k.close();
    }
  });

  test('without a client certificate, or without trusting the server CA, the call never reaches the service', async () => {
    for (const keys of [[`as_ca_cert = "${join(dir, 'ca.pem')}"`], [`as_client_cert = "${join(dir, 'client.pem')}"`, `as_client_key = "${join(dir, 'client.key')}"`]]) {
      const k = await runTrustee(parseConfigText(tlsKbs(keys), { cwd: dir, env: {} }), { policyEngine: await loadPolicyEngine(), build: BUILD });
      try {
        const a = await attest(k.listening.url, sampleGuest());
        assert.equal(a.status, 401, a.text);
        const rec = await lastAudit(k.listening.url);
        assert.equal(rec.check, 'as.remote.unavailable', keys.join(' '));
      } finally {
        await k.close();
      }
    }
  });

  test('mutual TLS lets serve-as listen beyond loopback without --allow-remote', async () => {
    const config = parseConfigText('[storage_backend]\nstorage_type = "Memory"\n', { cwd: dir, env: {} });
    const tls = { cert: ca.certPem, key: ca.keyPem };
    await assert.rejects(runAsServer(config, { host: '192.0.2.1', port: 0, tls }, { policyEngine: await loadPolicyEngine() }), ConfigError, 'TLS alone authenticates no one');
    // With a client CA the guard steps aside; the TEST-NET address then fails at listen (nothing is opened).
    await assert.rejects(runAsServer(config, { host: '192.0.2.1', port: 0, tls: { ...tls, clientCa: ca.caPem } }, { policyEngine: await loadPolicyEngine() }), (e: unknown) => !(e instanceof ConfigError) && /EADDRNOTAVAIL/.test(String(e)));
  });
});

describe('coco trustee serve-as flags', () => {
  const coco = (...args: string[]) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'coco.mjs'), 'trustee', 'serve-as', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });

  test('bad TLS flags and a non-loopback host without authentication exit with the usage code and say why', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', '/nope.pem'], /--tls-cert and --tls-key go together/],
      [['--client-ca', '/ca.pem'], /--client-ca needs --tls-cert and --tls-key/],
      [['--tls-cert', '/nope.pem', '--tls-key', '/nope.key'], /--tls-cert: cannot read \/nope\.pem/],
      [['--tls-cert'], /--tls-cert needs a file/],
      [['--host', '0.0.0.0', '--port', '0', '--storage', 'memory'], /no authentication of its own/],
    ];
    for (const [args, message] of cases) {
      const r = coco(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  test('--help shows both commands', () => {
    const r = coco('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /coco trustee serve-as/);
    assert.match(r.stdout, /--client-ca/);
  });
});
