/**
 * Upstream's `external` KBS plugin over real sockets: a backend implementing `kbs.plugin.v1.KbsPlugin`
 * (our gRPC server with test handlers, one cleartext and one over TLS with its CA in `ca_cert_path`)
 * and a KBS from an upstream-style config with `[[plugins]] name = "external"` (runTrustee). Admin
 * calls, attested calls with a sealed answer, backend error statuses, unknown and unreachable
 * backends, each over HTTP against the KBS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt } from 'jose';
import { fromUtf8, utf8 } from '../../src/core/index.js';
import {
  KBS_PLUGIN_METHODS,
  NEEDS_ENCRYPTION_REQUEST,
  NEEDS_ENCRYPTION_RESPONSE,
  PLUGIN_REQUEST,
  PLUGIN_RESPONSE,
  VALIDATE_AUTH_REQUEST,
  VALIDATE_AUTH_RESPONSE,
  type ProtoMessage,
} from '../../src/protocol/index.js';
import { serveGrpc, type RunningTrustee } from '../../src/trustee/index.js';
import { MEMORY_STORAGE, runLocalTrustee } from '../support/local-trustee.js';
import { type GrpcListening, type UnaryMethod } from '../../src/trustee/grpc/server.js';
import { requireTools } from '../support/system-tools.js';
import { makeTestCa } from '../support/test-ca.js';
import { b64url, sampleAttestation, sampleGuest, type SampleGuest } from '../support/trustee.js';

const SKIP = requireTools('openssl');
const dir = mkdtempSync(join(tmpdir(), 'coco-external-plugin-'));
let plain: GrpcListening;
let tls: GrpcListening;
let kbs: RunningTrustee;
const seen: ProtoMessage[] = [];

/** A plugin backend: admin for paths under `admin/`, sealed answers for `?sealed=1`, status 500 under `fail/`. */
function backend(label: string): UnaryMethod[] {
  return [
    { path: KBS_PLUGIN_METHODS.validateAuth, request: VALIDATE_AUTH_REQUEST, response: VALIDATE_AUTH_RESPONSE, handle: async (r) => ({ requires_admin_auth: (r.path as string[])[0] === 'admin' }) },
    { path: KBS_PLUGIN_METHODS.needsEncryption, request: NEEDS_ENCRYPTION_REQUEST, response: NEEDS_ENCRYPTION_RESPONSE, handle: async (r) => ({ requires_payload_encryption: (r.query as Record<string, string>).sealed === '1' }) },
    {
      path: KBS_PLUGIN_METHODS.handle,
      request: PLUGIN_REQUEST,
      response: PLUGIN_RESPONSE,
      handle: async (r) => {
        seen.push(r);
        const path = r.path as string[];
        if (path[0] === 'fail') return { body: utf8('backend says no'), status_code: 500, content_type: 'text/plain' };
        return { body: utf8(`${label}: ${r.method as string} ${path.join('/')} ${fromUtf8(r.body as Uint8Array)}`), status_code: 200, content_type: 'text/plain' };
      },
    },
  ];
}

async function http(method: string, path: string, init: { raw?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(kbs.listening.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function attestedCookie(guest: SampleGuest): Promise<string> {
  const auth = await fetch(kbs.listening.url + '/kbs/v0/auth', { method: 'POST', body: JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' }) });
  const cookie = auth.headers.get('set-cookie')!.split(';')[0]!;
  const { nonce } = (await auth.json()) as { nonce: string };
  const res = await fetch(kbs.listening.url + '/kbs/v0/attest', { method: 'POST', headers: { cookie }, body: JSON.stringify(sampleAttestation(guest, nonce)) });
  assert.equal(res.status, 200, await res.text());
  return cookie;
}

before(async () => {
  if (SKIP) return;
  const ca = makeTestCa();
  writeFileSync(join(dir, 'ca.pem'), ca.caPem);
  plain = await serveGrpc(backend('plain'), { port: 0 });
  tls = await serveGrpc(backend('tls'), { port: 0, tls: { cert: ca.certPem, key: ca.keyPem } });
  const config = [
    ...MEMORY_STORAGE,
    '[attestation_token]',
    'insecure_header_jwk = true',
    '[[plugins]]',
    'name = "resource"',
    '[[plugins]]',
    'name = "external"',
    'backends = [',
    `  { name = "demo", endpoint = "${plain.url}", timeout_ms = 5000 },`,
    `  { name = "secure", endpoint = "${tls.url}", ca_cert_path = "${join(dir, 'ca.pem')}" },`,
    '  { name = "gone", endpoint = "http://127.0.0.1:9", timeout_ms = 2000 },',
    ']',
  ];
  kbs = await runLocalTrustee(config, dir);
  const allow = 'package policy\nimport rego.v1\ndefault allow := false\nallow if data.plugin == "external"\n';
  assert.equal((await http('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(allow) } })).status, 200);
});

after(async () => {
  await kbs?.close();
  await plain?.close();
  await tls?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function lastAudit(): Promise<{ check: string; detail: string; resource?: string }> {
  return ((await (await fetch(kbs.listening.url + '/kbs/v0/audit?limit=1')).json()) as Array<{ check: string; detail: string; resource?: string }>)[0]!;
}

describe('the external plugin over gRPC', { skip: SKIP }, () => {
  test('admin calls reach the backend with the path after its name, body, query and method', async () => {
    const res = await http('PUT', '/kbs/v0/external/demo/admin/settings?x=1', { raw: 'conf' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.type, 'text/xml');
    assert.equal(res.text, 'plain: PUT admin/settings conf');
    assert.deepEqual(seen.at(-1)!.query, { x: '1' });
  });

  test('attested calls pass the resource policy, and a sealed answer decrypts with the TEE key; TLS backends too', async () => {
    const guest = sampleGuest('P-384');
    const cookie = await attestedCookie(guest);
    const open = await http('GET', '/kbs/v0/external/demo/item', { headers: { cookie } });
    assert.equal(open.status, 200, open.text);
    assert.equal(open.text, 'plain: GET item ');
    const sealed = await http('GET', '/kbs/v0/external/secure/item?sealed=1', { headers: { cookie } });
    assert.equal(sealed.status, 200, sealed.text);
    const { plaintext } = await flattenedDecrypt(JSON.parse(sealed.text), guest.privateKey);
    assert.equal(fromUtf8(plaintext), 'tls: GET item ');
    const anonymous = await http('GET', '/kbs/v0/external/demo/item');
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.text, /TokenNotFound/);
  });

  test('a backend error status, an unknown backend and an unreachable one fail the call, audited with the reason', async () => {
    const cookie = await attestedCookie(sampleGuest());
    const failed = await http('GET', '/kbs/v0/external/demo/fail', { headers: { cookie } });
    assert.equal(failed.status, 401);
    assert.match(failed.text, /PluginInternalError/);
    let rec = await lastAudit();
    assert.equal(rec.check, 'kbs.plugin.external');
    assert.match(rec.detail, /status 500: backend says no/);
    const unknown = await http('GET', '/kbs/v0/external/nobody/x', { headers: { cookie } });
    assert.equal(unknown.status, 401);
    assert.match((await lastAudit()).detail, /"nobody" is not configured/);
    const gone = await http('GET', '/kbs/v0/external/gone/x', { headers: { cookie } });
    assert.equal(gone.status, 401);
    rec = await lastAudit();
    assert.equal(rec.check, 'kbs.plugin.external.gone.unavailable');
    assert.match(rec.detail, /UNAVAILABLE/);
  });

  test('metrics: upstream\'s kbs_plugin_* series by backend', async () => {
    const text = await (await fetch(kbs.listening.url + '/metrics')).text();
    const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}"]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);
    assert.ok(value('kbs_plugin_requests_total{plugin_name="demo"}') >= 3, text);
    assert.ok(value('kbs_plugin_request_duration_seconds_count{plugin_name="demo"}') >= 3);
    assert.ok(value('kbs_plugin_errors_total{plugin_name="gone"}') >= 1, 'the unreachable backend');
    assert.ok(Number.isNaN(value('kbs_plugin_errors_total{plugin_name="demo"}')), 'a backend error status is an answer, not an RPC error');
  });
});
