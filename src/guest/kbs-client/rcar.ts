/**
 * One RCAR handshake (KBS protocol 0.4.0, reference/guest-components.md §2.1): `/auth` →
 * challenge → evidence bound to H(JCS(runtime data)) → `/attest` → token, keeping the
 * `kbs-session-id` cookie. Retries live in `client.ts`.
 * @module
 */
import { Unsupported, expectString, parseHashAlgorithm, type HashAlgorithm } from '../../core/index.js';
import {
  KBS_PROTOCOL_VERSION,
  deviceRuntimeData,
  primaryRuntimeData,
  runtimeDataDigest,
  type AuthRequest,
  type TeePubKey,
} from '../../protocol/index.js';
import type { Attester } from '../attester/attester.js';
import type { FetchLike } from './http.js';
import { teePubKeyOf, type TeeKey } from './tee-key.js';
import { errorForStatus, parseJsonBody, sessionCookieOf, transportError } from './wire.js';

/** Hash algorithms the client offers (upstream list; `sm3` is offered but refused if selected). */
export const SUPPORTED_HASH_ALGORITHMS = ['sha256', 'sha384', 'sha512', 'sm3'] as const;

export interface RcarContext {
  kbsUrl: string;
  fetch: FetchLike;
  attester: Attester;
  /** Device attesters whose evidence goes into `additional_evidence`. */
  deviceAttesters?: readonly Attester[];
  key: TeeKey;
  /** initdata TOML plaintext sent as `init-data` (null when absent, as upstream). */
  initDataToml?: string | undefined;
  userAgent?: string;
}

export interface RcarResult {
  token: string;
  cookie: string | undefined;
}

/** `POST /kbs/v0/auth` body the client sends. */
export function authRequestBody(tee: AuthRequest['tee']): AuthRequest {
  return { version: KBS_PROTOCOL_VERSION, tee, 'extra-params': { 'supported-hash-algorithms': [...SUPPORTED_HASH_ALGORITHMS] } };
}

/** The runtime-data hash: `selected-hash-algorithm` when the challenge names one, else SHA-384. */
export function selectedHashAlgorithm(extra: unknown): HashAlgorithm {
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
    const sel = (extra as Record<string, unknown>)['selected-hash-algorithm'];
    if (typeof sel === 'string') {
      if (sel.toLowerCase() === 'sm3') throw new Unsupported('KBS selected sm3, which this client does not implement');
      return parseHashAlgorithm(sel.toLowerCase());
    }
  }
  return 'sha384';
}

/** The `additional_evidence` string: JSON `{tee: evidence}` of device attesters, `""` when none. */
export async function collectDeviceEvidence(devices: readonly Attester[], nonce: string, pub: TeePubKey, alg: HashAlgorithm): Promise<string> {
  if (devices.length === 0) return '';
  const rd = runtimeDataDigest(deviceRuntimeData(nonce, pub), alg);
  const out: Record<string, unknown> = {};
  for (const d of devices) out[d.tee] = await d.getEvidence(rd);
  return JSON.stringify(out);
}

async function post(ctx: RcarContext, path: string, body: unknown, cookie: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': ctx.userAgent ?? 'coco-ts-guest' };
  if (cookie) headers.cookie = `kbs-session-id=${cookie}`;
  try {
    return await ctx.fetch(`${ctx.kbsUrl}/kbs/v0/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  } catch (err) {
    throw transportError(err, path);
  }
}

/** Run one full handshake. Throws `Unauthorized` (refused), `Unavailable`, `MalformedInput`. */
export async function runRcar(ctx: RcarContext): Promise<RcarResult> {
  const authRes = await post(ctx, 'auth', authRequestBody(ctx.attester.tee), undefined);
  const authText = await authRes.text();
  if (authRes.status !== 200) throw errorForStatus(authRes.status, authText, 'auth');
  const challenge = parseJsonBody(authText, 'challenge');
  const nonce = expectString(challenge.nonce, 'challenge.nonce');
  const cookie = sessionCookieOf(authRes);
  const alg = selectedHashAlgorithm(challenge['extra-params']);

  const pub = teePubKeyOf(ctx.key);
  const additional = await collectDeviceEvidence(ctx.deviceAttesters ?? [], nonce, pub, alg);
  const reportData = runtimeDataDigest(primaryRuntimeData(nonce, pub, additional), alg);
  const evidence = await ctx.attester.getEvidence(reportData);

  const attestBody = {
    'init-data': ctx.initDataToml === undefined ? null : { format: 'toml', body: ctx.initDataToml },
    'runtime-data': { nonce, 'tee-pubkey': pub },
    'tee-evidence': { primary_evidence: evidence, additional_evidence: additional },
  };
  const attRes = await post(ctx, 'attest', attestBody, cookie);
  const attText = await attRes.text();
  if (attRes.status !== 200) throw errorForStatus(attRes.status, attText, 'attest');
  const token = expectString(parseJsonBody(attText, 'attest response').token, 'attest response.token');
  return { token, cookie: sessionCookieOf(attRes) ?? cookie };
}
