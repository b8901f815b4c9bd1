/**
 * A stand-in for Intel Trust Authority's appraisal API on 127.0.0.1 over HTTPS (certificates from
 * `makeTestCa()`), for tests of the `intel_ta` attestation service. It does what the KBS relies on:
 * checks `x-api-key`, checks that the TD quote's report data is SHA-512 of `runtime_data` (TDX) or that
 * the TD report binds SHA-256 of the HCL variable data (Azure), and answers `{"token"}`: a PS384 JWT with
 * header `kid`, the runtime data parsed into `tdx.attester_runtime_data` (Azure: the user data into
 * `tdx.attester_user_data`), and the policy ids it was asked to match. It does not verify quote
 * signatures (the hardware verifiers have their own tests).
 * @module
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { digest, toHex } from '../../src/core/index.js';
import { parseTdQuote } from '../../src/verifier/tdx/index.js';
import { answer, startHttpsRoutes, type HttpsRoutes } from './https-routes.js';

export const FAKE_ITA_API_KEY = 'test-ita-api-key-0123456789';

export interface ItaCall {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeIta {
  /** `https://127.0.0.1:<port>` — the `base_url`. */
  origin: string;
  /** The JWK set of the token key (`certs_file`). */
  jwks: { keys: Array<Record<string, unknown>> };
  /** Every appraisal request, in order. */
  calls: ItaCall[];
  /** Sign a token with the fake's key (or another), e.g. to test expiry. */
  token(claims: Record<string, unknown>, opts?: { key?: KeyObject; kid?: string; alg?: string }): string;
  /** Sign with a new key (kid `fake-ita-<n>`) from now on; `jwks` then holds only the new key. */
  rotate(): void;
  /** Answer the next appraisals with this instead (status, body); undefined restores the default. */
  override(reply: { status: number; body: unknown; delayMs?: number } | undefined): void;
  close(): Promise<void>;
}

const KID = 'fake-ita-1';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const fromB64 = (s: unknown): Buffer => Buffer.from(String(s), 'base64');

/** The appraisal result for one request body, or an error answer. */
function appraise(path: string, body: Record<string, unknown>): { claims: Record<string, unknown> } | { status: number; error: string } {
  const tdx = body.tdx as Record<string, unknown> | undefined;
  const claims: Record<string, unknown> = {};
  if (tdx) {
    const quote = parseTdQuote(fromB64(tdx.quote));
    const reportData = quote.body.reportData;
    const runtime = fromB64(tdx.runtime_data);
    if (path.endsWith('/azure')) {
      if (toHex(reportData.subarray(0, 32)) !== toHex(digest('sha256', runtime))) return { status: 400, error: 'TD report does not bind the runtime data' };
      claims.tdx = { attester_tcb_status: 'UpToDate', attester_user_data: JSON.parse(fromB64(tdx.user_data).toString('utf8')), tdx_mrtd: toHex(quote.body.mrTd) };
    } else {
      if (toHex(reportData) !== toHex(digest('sha512', runtime))) return { status: 400, error: 'report data does not match SHA-512 of the runtime data' };
      claims.tdx = { attester_tcb_status: 'UpToDate', attester_runtime_data: JSON.parse(runtime.toString('utf8')), tdx_mrtd: toHex(quote.body.mrTd) };
    }
  }
  if (body.sgx) claims.sgx = { attester_tcb_status: 'UpToDate' };
  if (body.nvgpu) claims.nvgpu = { gpu_nonce: (body.nvgpu as Record<string, unknown>).gpu_nonce };
  const ids = body.policy_ids as string[];
  claims.policy_ids_matched = ids.map((id) => ({ id, version: 'v1' }));
  return { claims };
}

export async function startFakeIta(tls: { certPem: string; keyPem: string }): Promise<FakeIta> {
  let generation = 1;
  let kid = KID;
  let { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwkOf = (k: KeyObject, id: string) => ({ ...(k.export({ format: 'jwk' }) as Record<string, unknown>), alg: 'PS384', kid: id, use: 'sig' });
  const jwks = { keys: [jwkOf(publicKey, kid)] };
  const calls: ItaCall[] = [];
  let overridden: { status: number; body: unknown; delayMs?: number } | undefined;
  const token = (claims: Record<string, unknown>, opts: { key?: KeyObject; kid?: string; alg?: string } = {}): string => {
    const header = Buffer.from(JSON.stringify({ alg: opts.alg ?? 'PS384', typ: 'JWT', kid: opts.kid ?? kid, jku: 'https://example.invalid/certs' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const sig = sign('sha384', Buffer.from(`${header}.${payload}`), { key: opts.key ?? privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 48 });
    return `${header}.${payload}.${sig.toString('base64url')}`;
  };
  const routes: HttpsRoutes = await startHttpsRoutes(tls);
  const handler = (path: string) => (req: IncomingMessage, res: Parameters<Parameters<HttpsRoutes['route']>[1]>[1]) => {
    void readBody(req).then((text) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return answer(400, { error: 'request body is not JSON' })(req, res);
      }
      calls.push({ path, headers: req.headers, body });
      if (overridden) {
        const o = overridden;
        return void setTimeout(() => (res.destroyed ? undefined : answer(o.status, o.body)(req, res)), o.delayMs ?? 0);
      }
      if (req.method !== 'POST') return answer(405, { error: 'method not allowed' })(req, res);
      // Like some gateways, it repeats the key it was given (the KBS must not pass that on).
      if (req.headers['x-api-key'] !== FAKE_ITA_API_KEY) return answer(401, { error: `Invalid API key ${String(req.headers['x-api-key'])}` })(req, res);
      let result;
      try {
        result = appraise(path, body);
      } catch (err) {
        return answer(400, { error: `bad evidence: ${(err as Error).message}` })(req, res);
      }
      if ('error' in result) return answer(result.status, { error: result.error })(req, res);
      const now = Math.floor(Date.now() / 1000);
      answer(200, { token: token({ ...result.claims, iss: 'Intel Trust Authority', iat: now, nbf: now, exp: now + 300, jti: `t-${calls.length}` }) })(req, res);
    });
  };
  routes.route('/appraisal/v2/attest', handler('/appraisal/v2/attest'));
  routes.route('/appraisal/v2/attest/azure', handler('/appraisal/v2/attest/azure'));
  return {
    origin: routes.origin,
    jwks,
    calls,
    token,
    rotate() {
      generation += 1;
      kid = `fake-ita-${generation}`;
      ({ privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 }));
      jwks.keys = [jwkOf(publicKey, kid)];
    },
    override(reply) {
      overridden = reply;
    },
    close: () => routes.close(),
  };
}

/** Offset of REPORTDATA in a v4 TD quote: 48-byte header, then 520 bytes of the TD report body before it. */
const TD_QUOTE_REPORT_DATA = 48 + 520;

/** A real TD quote (fixture v4) with `reportData` (≤ 64 bytes, zero-padded) in place of its own; its signature no longer verifies. */
export function tdQuoteWithReportData(quote: Uint8Array, reportData: Uint8Array): Uint8Array {
  const out = Uint8Array.from(quote);
  out.fill(0, TD_QUOTE_REPORT_DATA, TD_QUOTE_REPORT_DATA + 64);
  out.set(reportData.subarray(0, 64), TD_QUOTE_REPORT_DATA);
  return out;
}
