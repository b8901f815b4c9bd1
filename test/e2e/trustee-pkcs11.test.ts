/**
 * The `pkcs11` plugin through runTrustee (the path of `coco trustee serve`), over real HTTP, on a
 * SoftHSM token: an admin stores a resource in the token and wraps a data key with the token's RSA
 * key; an attested sample guest reads the resource and has the wrapped key unwrapped, each as a JWE to
 * its TEE key that an independent JOSE implementation decrypts; the resource policy decides as for
 * resources; a missing resource, a denied call and a call without a token are refused and audited.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { flattenedDecrypt, type FlattenedJWE } from 'jose';
import type { RunningTrustee } from '../../src/trustee/index.js';
import { MEMORY_STORAGE, runLocalTrustee } from '../support/local-trustee.js';
import { SOFTHSM_MODULE, makeSoftHsmToken, requireSoftHsm, type SoftHsmToken } from '../support/softhsm.js';
import { httpTrustee, sampleGuest } from '../support/trustee.js';

const SKIP = requireSoftHsm();
const dir = mkdtempSync(join(tmpdir(), 'coco-pkcs11-'));
const WRAP = 'coco-wrap';
/** pkcs11 resources and wrap-key for attested guests; nothing else. */
const PKCS11_POLICY = `package policy
import rego.v1
default allow := false
allow if {
  data.plugin == "pkcs11"
  data["resource-path"] != ["resource", "default", "hsm", "forbidden"]
}
`;
let token: SoftHsmToken;
let running: RunningTrustee;
const kbs = httpTrustee(() => running.listening.url);

/** A request with any method and body (fetch refuses a GET with a body; wrap-key's GET has one). */
function raw(method: string, path: string, body: Uint8Array | string | undefined, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${running.listening.url}${path}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function lastAudit(): Promise<{ check: string; outcome: string }> {
  const res = await kbs.http('GET', '/kbs/v0/audit?route=resource&limit=1');
  return (JSON.parse(res.text) as Array<{ check: string; outcome: string }>)[0]!;
}

before(async () => {
  if (SKIP) return;
  token = makeSoftHsmToken({ wrapLabel: WRAP });
  running = await runLocalTrustee(
    [
      ...MEMORY_STORAGE,
      '[[plugins]]',
      'name = "resource"',
      '[[plugins]]',
      'name = "pkcs11"',
      `module = "${SOFTHSM_MODULE}"`,
      `pin = "${token.pin}"`,
      'rsa_mechanism = "RsaPkcsTest"',
      `lookup_label = "${WRAP}"`,
    ],
    dir,
  );
  await kbs.seedPolicy(PKCS11_POLICY);
});
after(async () => {
  await running?.close();
  token?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('Trustee with the pkcs11 plugin on SoftHSM', { skip: SKIP }, () => {
  const guest = sampleGuest('P-256');

  test('an admin stores a resource in the token and an attested guest reads it as a JWE to its key', async () => {
    assert.equal((await raw('POST', '/kbs/v0/pkcs11/resource/default/hsm/key', 'kept-in-the-hsm')).status, 200);
    const { cookie } = await kbs.handshake(guest);
    const res = await raw('GET', '/kbs/v0/pkcs11/resource/default/hsm/key', undefined, { cookie });
    assert.equal(res.status, 200, res.body.toString());
    const jwe = JSON.parse(res.body.toString()) as FlattenedJWE;
    assert.equal(new TextDecoder().decode((await flattenedDecrypt(jwe, guest.privateKey)).plaintext), 'kept-in-the-hsm');
  });

  test('an admin wraps a data key with the token key; an attested guest has it unwrapped', async () => {
    const wrapped = await raw('POST', '/kbs/v0/pkcs11/wrap-key', 'data-encryption-key');
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.body.length, 256);
    assert.notEqual(wrapped.body.toString('latin1'), 'data-encryption-key');
    const { token: bearer } = await kbs.handshake(guest);
    const res = await raw('GET', '/kbs/v0/pkcs11/wrap-key', wrapped.body, { authorization: `Bearer ${bearer}` });
    assert.equal(res.status, 200, res.body.toString());
    const jwe = JSON.parse(res.body.toString()) as FlattenedJWE;
    assert.equal(new TextDecoder().decode((await flattenedDecrypt(jwe, guest.privateKey)).plaintext), 'data-encryption-key');
  });

  test('a missing resource, a denied path and a call without a token are refused and audited', async () => {
    const { cookie } = await kbs.handshake(guest);
    const missing = await raw('GET', '/kbs/v0/pkcs11/resource/default/hsm/none', undefined, { cookie });
    assert.equal(missing.status, 401);
    assert.equal((await lastAudit()).check, 'kbs.resource.missing');
    assert.equal((await raw('POST', '/kbs/v0/pkcs11/resource/default/hsm/forbidden', 'x')).status, 200);
    const denied = await raw('GET', '/kbs/v0/pkcs11/resource/default/hsm/forbidden', undefined, { cookie });
    assert.equal(denied.status, 401);
    assert.match(denied.body.toString(), /PolicyDeny/);
    const anonymous = await raw('GET', '/kbs/v0/pkcs11/resource/default/hsm/key', undefined);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.body.toString(), /TokenNotFound/);
  });

  test('an admin deletes a resource from the token; other methods and paths are refused', async () => {
    assert.equal((await raw('DELETE', '/kbs/v0/pkcs11/resource/default/hsm/key', undefined)).status, 200);
    const { cookie } = await kbs.handshake(guest);
    assert.equal((await raw('GET', '/kbs/v0/pkcs11/resource/default/hsm/key', undefined, { cookie })).status, 401);
    assert.equal((await raw('PUT', '/kbs/v0/pkcs11/resource/default/hsm/key', 'x')).status, 401);
    assert.equal((await lastAudit()).check, 'kbs.plugin.pkcs11.method');
    assert.equal((await raw('GET', '/kbs/v0/pkcs11/resource/default/..%2F/key', undefined, { cookie })).status, 401);
    assert.equal((await lastAudit()).check, 'kbs.resource.path');
  });
});
