/**
 * Test helpers for Trustee: a Trustee on a memory store with a movable clock, a sample-TEE guest
 * (the RCAR client side written independently of the server code), and small request helpers.
 */
import type { KeyObject } from 'node:crypto';
import { digest, generateTeeKeyPair, type EcCurve, type PublicJwk } from '../../src/core/index.js';
import { primaryRuntimeData, runtimeDataDigest, type TeePubKey } from '../../src/protocol/index.js';
import { encodeSampleEvidence } from '../../src/verifier/index.js';
import { insecureAllowAllAdmin } from '../../src/trustee/kbs/admin-hooks.js';
import { createTrustee, type Trustee, type TrusteeOptions } from '../../src/trustee/server.js';
import { MemoryStore } from '../../src/trustee/storage/memory.js';
import type { HttpRequest, HttpResponse } from '../../src/trustee/http/types.js';
import { regoPolicyEngine } from '../../src/trustee/rego-engine.js';

export const ALLOW_RESOURCE_PLUGIN = `package policy
import rego.v1
default allow := false
allow if data.plugin == "resource"
`;
export const DENY_ALL = `package policy
import rego.v1
default allow := false
`;

export interface TestTrustee {
  trustee: Trustee;
  store: MemoryStore;
  clock: { now: number };
  call(method: string, url: string, init?: { body?: unknown; raw?: Uint8Array | string; headers?: Record<string, string> }): Promise<TestResponse>;
}

export interface TestResponse extends HttpResponse {
  json(): any;
  text(): string;
}

export function wrapResponse(res: HttpResponse): TestResponse {
  const text = () => (typeof res.body === 'string' ? res.body : Buffer.from(res.body).toString('utf8'));
  return { ...res, text, json: () => JSON.parse(text()) };
}

/** A Trustee on a memory store, admin allowed, sample TEE enabled, clock under test control. */
export async function startTestTrustee(options: Partial<TrusteeOptions> = {}): Promise<TestTrustee> {
  const clock = { now: Date.parse('2026-11-23T08:00:00Z') };
  const store = new MemoryStore(() => clock.now);
  const trustee = await createTrustee({
    store,
    policyEngine: regoPolicyEngine,
    admin: insecureAllowAllAdmin,
    now: () => new Date(clock.now),
    ...options,
  });
  const call: TestTrustee['call'] = async (method, url, init = {}) => {
    const headers: Record<string, string | undefined> = { ...(init.headers ?? {}) };
    let body: Uint8Array = new Uint8Array(0);
    if (init.raw !== undefined) body = typeof init.raw === 'string' ? new TextEncoder().encode(init.raw) : init.raw;
    else if (init.body !== undefined) body = new TextEncoder().encode(JSON.stringify(init.body));
    const req: HttpRequest = { method, url, headers, body };
    return wrapResponse(await trustee.handle(req));
  };
  return { trustee, store, clock, call };
}

/** The cookie pair from a `Set-Cookie` header. */
export function cookieOf(res: HttpResponse): string {
  return (res.headers['set-cookie'] ?? '').split(';')[0]!;
}

export interface SampleGuest {
  privateKey: KeyObject;
  jwk: PublicJwk & { alg: string };
  teePubKey: TeePubKey;
}

/** A guest key pair of `kind` with its `tee-pubkey` as sent on the wire. */
export function sampleGuest(kind: EcCurve | 'RSA' = 'P-256'): SampleGuest {
  const { privateKey, jwk } = generateTeeKeyPair(kind);
  const teePubKey = (jwk.kty === 'EC'
    ? { kty: 'EC', crv: jwk.crv, alg: jwk.alg, x: jwk.x, y: jwk.y }
    : { kty: 'RSA', alg: jwk.alg, n: jwk.n, e: jwk.e }) as TeePubKey;
  return { privateKey, jwk, teePubKey };
}

/** The `/attest` body a sample attester sends for `nonce` (optionally with a deliberately wrong binding). */
export function sampleAttestation(guest: SampleGuest, nonce: string, opts: { initData?: string; bindNonce?: string; additional?: string } = {}): Record<string, unknown> {
  const additional = opts.additional ?? '';
  const rd = primaryRuntimeData(opts.bindNonce ?? nonce, guest.teePubKey, additional);
  const body: Record<string, unknown> = {
    'runtime-data': { nonce, 'tee-pubkey': guest.teePubKey },
    'tee-evidence': { primary_evidence: encodeSampleEvidence(runtimeDataDigest(rd, 'sha384')), additional_evidence: additional },
  };
  if (opts.initData !== undefined) body['init-data'] = { format: 'toml', body: opts.initData };
  return body;
}

/** Standard base64 of JSON `{name: value}` for a `sample` RVPS message. */
export function sampleRvMessage(values: Record<string, unknown>): Record<string, unknown> {
  return { version: '0.1.0', type: 'sample', payload: Buffer.from(JSON.stringify(values)).toString('base64') };
}

/** Reference values that make the default CPU policy affirm sample evidence. */
/** A sample-TEE `/auth` request body as a guest sends it, as JSON text. */
export const SAMPLE_AUTH_JSON = JSON.stringify({ version: '0.4.0', tee: 'sample', 'extra-params': '' });

export const SAMPLE_AFFIRMING_RVS = { svn: ['1'], launch_digest: ['abcde'], major_version: 1, minimum_minor_version: 1 };

export const b64url = (text: string) => Buffer.from(text).toString('base64url');
export const sha256Hex = (text: string) => Buffer.from(digest('sha256', new TextEncoder().encode(text))).toString('hex');

/** Calls a Trustee over real HTTP at `url` (fetch), and runs sample handshakes against it. */
export function httpTrustee(url: () => string) {
  async function http(method: string, path: string, init: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(url() + path, {
      method,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : init.raw !== undefined ? { body: init.raw } : {}),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }
  /** auth → attest with `guest`; the session cookie and the token. Throws unless both answer 200. */
  async function handshake(guest: SampleGuest, initData?: string): Promise<{ cookie: string; token: string }> {
    const auth = await http('POST', '/kbs/v0/auth', { body: { version: '0.4.0', tee: 'sample', 'extra-params': {} } });
    if (auth.status !== 200) throw new Error(`auth: ${auth.status} ${auth.text}`);
    const cookie = auth.headers.get('set-cookie')!.split(';')[0]!;
    const { nonce } = JSON.parse(auth.text) as { nonce: string };
    const attest = await http('POST', '/kbs/v0/attest', { body: sampleAttestation(guest, nonce, initData === undefined ? {} : { initData }), headers: { cookie } });
    if (attest.status !== 200) throw new Error(`attest: ${attest.status} ${attest.text}`);
    return { cookie, token: (JSON.parse(attest.text) as { token: string }).token };
  }
  /** Set `policy` (Rego text) as the resource policy and register the sample reference values that affirm sample evidence. */
  async function seedPolicy(policy: string): Promise<void> {
    const steps = [
      await http('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(policy) } }),
      await http('POST', '/kbs/v0/reference-value', { body: sampleRvMessage(SAMPLE_AFFIRMING_RVS) }),
    ];
    for (const r of steps) if (r.status !== 200) throw new Error(`seeding: ${r.status} ${r.text}`);
  }
  /** Seed what a sample handshake needs: the allow-all resource policy, affirming reference values and `secret` at default/test/secret. */
  async function seed(secret: string): Promise<void> {
    const steps = [
      await http('POST', '/kbs/v0/resource-policy', { body: { policy: b64url(ALLOW_RESOURCE_PLUGIN).replace(/=+$/, '') } }),
      await http('POST', '/kbs/v0/reference-value', { body: sampleRvMessage(SAMPLE_AFFIRMING_RVS) }),
      await http('POST', '/kbs/v0/resource/default/test/secret', { raw: secret, headers: { 'content-type': 'application/octet-stream' } }),
    ];
    for (const r of steps) if (r.status !== 200) throw new Error(`seeding: ${r.status} ${r.text}`);
  }
  return { http, handshake, seed, seedPolicy };
}
