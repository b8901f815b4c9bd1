/**
 * The guest stack against the project's Trustee over real HTTP on loopback, with a real swtpm:
 * TPM evidence verified by the `tpm` verifier, the AK trusted through a reference value, initdata
 * bound through PCR 8 and visible in the token, a resource released and decrypted; with a wrong
 * PCR reference value the resource is refused and the audit records name the deciding check: the
 * failed pcr11 expression of the appraisal (with the tpm_pcr11 reference value) and the resource
 * policy expression that wanted an affirming token.
 * Also the same flow with the sample attester (a wrong launch_digest explained the same way) and
 * sealed secrets unsealed through Trustee.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBase64Url, fromUtf8, toBase64, toHex, utf8 } from '../../src/core/index.js';
import { createKbsEnvelope, initDataDigest, pcr8AfterInitData, signSealedSecret, signingKeyFromJwk } from '../../src/protocol/index.js';
import { startGuest, type GuestConfig } from '../../src/guest/index.js';
import { instantRetry } from '../../src/guest/kbs-client/retry.js';
import { ensureAk, pcrRead } from '../../src/guest/attester/tpm/commands.js';
import { openTpm } from '../../src/guest/attester/tpm/transport.js';
import { insecureAllowAllAdmin } from '../../src/trustee/kbs/admin-hooks.js';
import { loadPolicyEngine } from '../../src/trustee/rego-engine.js';
import { createTrustee, listen, type Trustee } from '../../src/trustee/server.js';
import type { Listening } from '../../src/trustee/http/adapter.js';
import { MemoryStore } from '../../src/trustee/storage/memory.js';
import { REPO_ROOT, fixtureJson } from '../support/fixtures.js';
import { startSwtpm } from '../support/swtpm.js';
import { requireTools } from '../support/system-tools.js';
import { SAMPLE_AFFIRMING_RVS, sampleRvMessage } from '../support/trustee.js';

const skip = requireTools('swtpm');

// Release only to affirming evidence through the resource plugin (the default policy would also
// release to "warning" evidence, which is what a wrong PCR reference value produces).
const AFFIRMING_ONLY = `package policy
import rego.v1
default allow := false
allow if {
  data.plugin == "resource"
  input.submods.cpu0["ear.status"] == "affirming"
}
`;

const INITDATA = `version = "0.1.0"
algorithm = "sha384"
[data]
"aa.toml" = '''
[token_configs.kbs]
url = "http://127.0.0.1:8080"
'''
`;

interface Running {
  trustee: Trustee;
  server: Listening;
  admin(method: string, path: string, body?: unknown, raw?: Uint8Array): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

async function startTrustee(): Promise<Running> {
  const trustee = await createTrustee({ store: new MemoryStore(), policyEngine: await loadPolicyEngine(), admin: insecureAllowAllAdmin });
  const server = await listen(trustee, { port: 0 });
  const admin: Running['admin'] = async (method, path, body, raw) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { 'content-type': raw ? 'application/octet-stream' : 'application/json' },
      ...(raw ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, text: await res.text() };
  };
  assert.equal((await admin('POST', '/kbs/v0/resource-policy', { policy: Buffer.from(AFFIRMING_ONLY).toString('base64url') })).status, 200);
  return {
    trustee,
    server,
    admin,
    close: async () => {
      await server.close();
      await trustee.close();
    },
  };
}

function config(url: string, over: Partial<GuestConfig>): GuestConfig {
  return {
    kbsUrl: url,
    kbsCaPem: undefined,
    attester: 'tpm',
    tpm: undefined,
    initDataToml: undefined,
    teeKeyAlgorithm: 'ECDH-ES+A256KW-P256',
    skipSealedSecretVerification: false,
    credentials: [],
    eventlog: { enabled: false, initPcr: 17 },
    listen: { host: '127.0.0.1', port: 0 },
    features: 'all',
    ...over,
  };
}

const tokenClaims = (token: string) => JSON.parse(fromUtf8(fromBase64Url(token.split('.')[1]!))) as any;

describe('guest (tpm attester, swtpm) ⇄ Trustee over HTTP', { skip }, () => {
  let tpm: { spec: string; stop: () => Promise<void> };
  let akB64: string;
  let pcr11: string;
  before(async () => {
    tpm = await startSwtpm();
    const t = await openTpm(tpm.spec);
    akB64 = toBase64((await ensureAk(t)).spki);
    pcr11 = toHex((await pcrRead(t, [11])).get(11)!);
    await t.close();
  });
  after(async () => tpm?.stop());

  test('releases a resource to TPM evidence with a trusted AK, with initdata bound in PCR 8 and in the token', async () => {
    const r = await startTrustee();
    try {
      assert.equal((await r.admin('POST', '/kbs/v0/reference-value', sampleRvMessage({ trusted_aks: [akB64], tpm_pcr11: [pcr11] }))).status, 200);
      assert.equal((await r.admin('POST', '/kbs/v0/resource/default/model-key/1', undefined, utf8('model key bytes'))).status, 200);
      const guest = await startGuest(config(r.server.url, { tpm: tpm.spec, initDataToml: INITDATA }), { retry: instantRetry() });
      try {
        assert.equal(guest.initDataBinding, 'bound');
        assert.equal(fromUtf8(await guest.cdh.getResource('kbs:///default/model-key/1')), 'model key bytes');
        const claims = tokenClaims(await guest.client.getToken());
        const cpu0 = claims.submods.cpu0;
        assert.equal(cpu0['ear.status'], 'affirming');
        const ev = cpu0['ear.veraison.annotated-evidence'];
        assert.equal(ev.tpm.ak_public, akB64);
        const pcr8 = toHex(pcr8AfterInitData(initDataDigest(INITDATA)));
        assert.equal(ev.init_data, pcr8);
        assert.equal(ev.tpm.pcr08, pcr8);
        assert.deepEqual(ev.init_data_claims, { 'aa.toml': { token_configs: { kbs: { url: 'http://127.0.0.1:8080' } } } });
      } finally {
        await guest.close();
      }
    } finally {
      await r.close();
    }
  });

  test('refuses the resource when the PCR reference value is wrong, and the audit record names the check', async () => {
    const r = await startTrustee();
    try {
      assert.equal((await r.admin('POST', '/kbs/v0/reference-value', sampleRvMessage({ trusted_aks: [akB64], tpm_pcr11: ['00'.repeat(31) + '01'] }))).status, 200);
      assert.equal((await r.admin('POST', '/kbs/v0/resource/default/model-key/1', undefined, utf8('model key bytes'))).status, 200);
      const guest = await startGuest(config(r.server.url, { tpm: tpm.spec }), { retry: instantRetry() });
      try {
        await assert.rejects(guest.cdh.getResource('kbs:///default/model-key/1'), (e: any) => e.code === 'ERR_UNAUTHORIZED' && /PolicyDeny/.test(e.message));
        const audit = JSON.parse((await r.admin('GET', '/kbs/v0/audit?route=resource&outcome=denied')).text) as Array<{ check: string; detail: string; resource?: string }>;
        assert.ok(audit.length >= 1);
        assert.equal(audit[0]!.check, 'kbs.resource.policy');
        assert.equal(audit[0]!.resource, 'default/model-key/1');
        // The token shows why: the AK is trusted but PCR 11 matches no reference value, so
        // "executables" is only a warning (33) and the release policy wants "affirming".
        const cpu0 = tokenClaims(await guest.client.getToken()).submods.cpu0;
        assert.equal(cpu0['ear.trustworthiness-vector'].executables, 33);
        assert.equal(cpu0['ear.status'], 'warning');
        // The attest record names the failed appraisal check: the pcr11 expression, the tpm_pcr11
        // reference value and both values compared.
        const [attest] = JSON.parse((await r.admin('GET', '/kbs/v0/audit?route=attest')).text) as any[];
        assert.ok(attest, 'an attestation with a lowered claim leaves an audit record');
        assert.equal(attest.earStatus, 'warning');
        assert.equal(attest.explain.length, 1, JSON.stringify(attest.explain));
        const why = attest.explain[0];
        assert.deepEqual([why.submod, why.claim, why.value, why.reason], ['cpu0', 'executables', 33, 'failed']);
        assert.equal(why.expression, 'input.tpm.pcr11 in rv("tpm_pcr11")');
        assert.deepEqual(why.referenceValues, ['tpm_pcr11']);
        assert.deepEqual(why.operands, [JSON.stringify(pcr11), JSON.stringify(['00'.repeat(31) + '01'])]);
        // The resource record names the refusing expression and the token, linked to that attestation.
        const denied = audit[0] as any;
        assert.equal(denied.explain[0].expression, 'input.submods.cpu0["ear.status"] == "affirming"');
        assert.deepEqual(denied.explain[0].operands, ['"warning"', '"affirming"']);
        assert.equal(denied.token.id, attest.tokenId);
        assert.equal(denied.token.status, 'warning');
        assert.match(denied.token.trust.cpu0, /executables=33/);
        assert.equal(denied.token.attestation.requestId, attest.requestId);
      } finally {
        await guest.close();
      }
    } finally {
      await r.close();
    }
  });
});

describe('coco guest fetch (process) with --tpm and --initdata ⇄ Trustee over HTTP', { skip }, () => {
  test('an init container attests with a fresh swtpm, binds initdata and writes the key with mode 0400', async () => {
    const sw = await startSwtpm();
    const r = await startTrustee();
    const dir = mkdtempSync(join(tmpdir(), 'coco-e2e-fetch-'));
    try {
      const t = await openTpm(sw.spec);
      const ak = toBase64((await ensureAk(t)).spki);
      const p11 = toHex((await pcrRead(t, [11])).get(11)!);
      await t.close();
      assert.equal((await r.admin('POST', '/kbs/v0/reference-value', sampleRvMessage({ trusted_aks: [ak], tpm_pcr11: [p11] }))).status, 200);
      assert.equal((await r.admin('POST', '/kbs/v0/resource/default/model-key/1', undefined, utf8('k'))).status, 200);
      writeFileSync(join(dir, 'initdata.toml'), INITDATA);
      const out = join(dir, 'keys', 'model.key');
      // Async spawn: Trustee runs in this process and must keep serving while the CLI runs.
      const fetchTo = (path: string) =>
        new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            [join(REPO_ROOT, 'bin/coco.mjs'), 'guest', 'fetch', '--kbs-url', r.server.url, '--attester', 'tpm', '--tpm', sw.spec, '--initdata', join(dir, 'initdata.toml'), '--resource', 'kbs:///default/model-key/1', '--out', path],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let stderr = '';
          child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
          child.on('exit', (status) => resolve({ status, stderr }));
        });
      const res = await fetchTo(out);
      assert.equal(res.status, 0, res.stderr);
      // A second init container in the same VM binds the same initdata again without breaking PCR 8.
      const again = await fetchTo(join(dir, 'keys', 'again.key'));
      assert.equal(again.status, 0, again.stderr);
      assert.equal(readFileSync(out, 'utf8'), 'k');
      assert.equal(statSync(out).mode & 0o777, 0o400);
      const t2 = await openTpm(sw.spec);
      assert.equal(toHex((await pcrRead(t2, [8])).get(8)!), toHex(pcr8AfterInitData(initDataDigest(INITDATA))));
      await t2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await r.close();
      await sw.stop();
    }
  });
});

describe('guest (sample attester) ⇄ Trustee over HTTP with a wrong launch_digest reference value', () => {
  test('the resource is refused and the audit records name launch_digest, executables 33 and the status the policy wanted', async () => {
    const r = await startTrustee();
    try {
      const rvs = { ...SAMPLE_AFFIRMING_RVS, launch_digest: ['not-this-guest'] };
      assert.equal((await r.admin('POST', '/kbs/v0/reference-value', sampleRvMessage(rvs))).status, 200);
      assert.equal((await r.admin('POST', '/kbs/v0/resource/default/secret/one', undefined, utf8('v'))).status, 200);
      const guest = await startGuest(config(r.server.url, { attester: 'sample' }), { retry: instantRetry() });
      try {
        await assert.rejects(guest.cdh.getResource('kbs:///default/secret/one'), (e: any) => e.code === 'ERR_UNAUTHORIZED');
      } finally {
        await guest.close();
      }
      const [attest] = JSON.parse((await r.admin('GET', '/kbs/v0/audit?route=attest')).text) as any[];
      assert.deepEqual(attest.explain.map((e: any) => [e.claim, e.value, e.expression, e.referenceValues, e.operands[1]]), [
        ['executables', 33, 'input.sample.launch_digest in rv("launch_digest")', ['launch_digest'], '["not-this-guest"]'],
      ]);
      const [denied] = JSON.parse((await r.admin('GET', '/kbs/v0/audit?route=resource&outcome=denied')).text) as any[];
      assert.equal(denied.check, 'kbs.resource.policy');
      assert.deepEqual(denied.explain[0].operands, ['"warning"', '"affirming"']);
      assert.equal(denied.token.id, attest.tokenId);
      assert.equal(denied.token.attestation.requestId, attest.requestId);
    } finally {
      await r.close();
    }
  });
});

describe('guest (sample attester) ⇄ Trustee over HTTP', () => {
  let r: Running;
  const signJwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key.json');
  const { d: _d, ...publicJwk } = signJwk;
  const kek = new Uint8Array(32).fill(7);
  before(async () => {
    r = await startTrustee();
    // The sample TEE is development-only; this test policy (unlike the default) accepts affirming sample evidence.
    assert.equal((await r.admin('POST', '/kbs/v0/reference-value', sampleRvMessage(SAMPLE_AFFIRMING_RVS))).status, 200);
    for (const [path, value] of [
      ['default/secret/one', utf8('vault value')],
      ['default/sealed-keys/k1', utf8(JSON.stringify(publicJwk))],
      ['default/kek/1', kek],
    ] as const) {
      assert.equal((await r.admin('POST', `/kbs/v0/resource/${path}`, undefined, value)).status, 200);
    }
  });
  after(async () => r?.close());

  test('fetches a resource and unseals vault and envelope secrets; refuses wrong key, tampering and unknown kid', async () => {
    const guest = await startGuest(config(r.server.url, { attester: 'sample', initDataToml: INITDATA }), { retry: instantRetry() });
    try {
      assert.equal(fromUtf8(await guest.cdh.getResource('kbs:///default/secret/one')), 'vault value');
      const key = signingKeyFromJwk(signJwk);
      const kid = 'kbs:///default/sealed-keys/k1';
      const vault = { version: '0.1.0', type: 'vault', name: 'kbs:///default/secret/one', provider: 'kbs', provider_settings: {}, annotations: {} } as const;
      assert.equal(fromUtf8(await guest.cdh.unsealSecret(signSealedSecret(vault, key, kid))), 'vault value');
      const env = createKbsEnvelope(utf8('envelope value'), 'kbs:///default/kek/1', kek, 'A256CTR');
      assert.equal(fromUtf8(await guest.cdh.unsealSecret(signSealedSecret(env, key, kid))), 'envelope value');
      const wrong = signingKeyFromJwk(fixtureJson('guest/sealed-secret/test-key-2.json'));
      await assert.rejects(guest.cdh.unsealSecret(signSealedSecret(vault, wrong, kid)), { check: 'sealed_secret.signature' });
      const [pre, h, , s] = signSealedSecret(vault, key, kid).split('.');
      const other = Buffer.from(JSON.stringify({ ...vault, name: 'kbs:///default/kek/1' })).toString('base64url');
      await assert.rejects(guest.cdh.unsealSecret(`${pre}.${h}.${other}.${s}`), { check: 'sealed_secret.signature' });
      // Trustee answers a missing resource with 401 as upstream does; the secret is refused either way.
      await assert.rejects(guest.cdh.unsealSecret(signSealedSecret(vault, key, 'kbs:///default/sealed-keys/missing')), (e: any) =>
        ['ERR_NOT_FOUND', 'ERR_UNAUTHORIZED'].includes(e.code) && /not found/.test(e.message));
    } finally {
      await guest.close();
    }
  });
});
