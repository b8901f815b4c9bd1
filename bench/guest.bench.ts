/**
 * Guest stack costs against the project's Trustee in process (real Rego policy engine, sample
 * attester): a cold fetch (new TEE key, full RCAR, resource GET, JWE decrypt), a warm fetch on an
 * attested session, and, when swtpm is installed, one TPM quote. The baseline measured in the same
 * run is one KBS JWE decryption (ECDH P-256 + AES key unwrap + AES-GCM), the crypto every fetch needs.
 */
import { decryptJwe, encryptJwe, utf8 } from '../src/core/index.js';
import { createTeeKey } from '../src/guest/kbs-client/tee-key.js';
import { KbsClient, instantRetry, type FetchLike } from '../src/guest/index.js';
import { sampleAttester } from '../src/guest/attester/sample.js';
import { ensureAk, pcrRead, quote, startup } from '../src/guest/attester/tpm/commands.js';
import { openTpm } from '../src/guest/attester/tpm/transport.js';
import { insecureAllowAllAdmin } from '../src/trustee/kbs/admin-hooks.js';
import { loadPolicyEngine } from '../src/trustee/rego-engine.js';
import { createTrustee, type Trustee } from '../src/trustee/server.js';
import { MemoryStore } from '../src/trustee/storage/memory.js';
import { startSwtpm } from '../test/support/swtpm.js';
import { findTool } from '../test/support/system-tools.js';
import { SAMPLE_AFFIRMING_RVS, sampleRvMessage } from '../test/support/trustee.js';
import type { BenchSection } from './run.js';
import { fmt, measure } from './util.js';

const ALLOW = 'package policy\nimport rego.v1\ndefault allow := false\nallow if data.plugin == "resource"\n';

function inProcess(trustee: Trustee): FetchLike {
  return async (url, init) => {
    const u = new URL(url);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(init.headers)) headers[k.toLowerCase()] = v;
    const r = await trustee.handle({ method: init.method, url: u.pathname + u.search, headers, body: utf8(init.body ?? '') });
    return new Response(typeof r.body === 'string' ? r.body : Buffer.from(r.body), { status: r.status, headers: r.headers });
  };
}

export async function run(): Promise<BenchSection> {
  const trustee = await createTrustee({ store: new MemoryStore(), policyEngine: await loadPolicyEngine(), admin: insecureAllowAllAdmin });
  const fetch = inProcess(trustee);
  const admin = (path: string, body: unknown, raw?: Uint8Array) =>
    fetch(`http://t${path}`, { method: 'POST', headers: { 'content-type': raw ? 'application/octet-stream' : 'application/json' }, body: raw ? Buffer.from(raw).toString('latin1') : JSON.stringify(body) });
  await admin('/kbs/v0/resource-policy', { policy: Buffer.from(ALLOW).toString('base64url') });
  await admin('/kbs/v0/reference-value', sampleRvMessage(SAMPLE_AFFIRMING_RVS));
  await admin('/kbs/v0/resource/default/key/1', undefined, utf8('0123456789abcdef0123456789abcdef'));

  const key = createTeeKey();
  const jwe = encryptJwe(new Uint8Array(32), key.jwk);
  const baseline = await measure(() => decryptJwe(jwe, key.privateKey));

  const opts = { kbsUrl: 'http://t', fetch, retry: instantRetry() };
  const cold = await measure(() => new KbsClient({ ...opts, attester: sampleAttester() }).getResource('kbs:///default/key/1'));
  const warmClient = new KbsClient({ ...opts, attester: sampleAttester() });
  await warmClient.getResource('kbs:///default/key/1');
  const warm = await measure(() => warmClient.getResource('kbs:///default/key/1'));

  const rows = [
    ['decryptJwe (baseline)', baseline],
    ['cold fetch: key + RCAR + GET + decrypt', cold],
    ['warm fetch: GET + decrypt on a session', warm],
  ] as Array<[string, Awaited<ReturnType<typeof measure>>]>;

  let tpmNote = 'swtpm not installed: TPM rows skipped.';
  if (findTool('swtpm')) {
    const sw = await startSwtpm();
    const t = await openTpm(sw.spec);
    try {
      await startup(t);
      await ensureAk(t);
      rows.push(['swtpm PCR_Read of 24 PCRs', await measure(() => pcrRead(t), 1000)]);
      rows.push(['swtpm Quote (RSA-2048 AK, 24 PCRs)', await measure(() => quote(t, 0x81010002, new Uint8Array(32), Array.from({ length: 24 }, (_, i) => i)), 1000)]);
      tpmNote = 'TPM rows talk to swtpm over TCP on loopback (software RSA signing, no hardware latency).';
    } finally {
      await t.close();
      await sw.stop();
    }
  }
  await trustee.close();
  const table = [
    '| operation | ops/s | p50 ms | p99 ms | time vs baseline |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(([name, m]) => `| ${name} | ${fmt(m.opsPerSec)} | ${fmt(m.p50, 3)} | ${fmt(m.p99, 3)} | ${fmt(baseline.opsPerSec / m.opsPerSec, 1)}× |`),
  ];
  return { title: 'Guest: KBS client and TPM', body: [...table, '', tpmNote, 'Trustee runs in process (no sockets), so the cold fetch is guest + Trustee CPU time for one attestation. Compare p50s: the warm fetch costs about half a cold one; its long tail (and lower ops/s) comes from Trustee writing an audit record per release into a growing in-memory store.'].join('\n') };
}
