/**
 * `POST /kbs/v0/auth` (reference/trustee.md §1.3): check the protocol version and TEE, create a
 * session with a fresh 32-byte nonce (standard base64 with padding).
 * @module
 */
import { MalformedInput, Unsupported, secureRandomBytes, toBase64 } from '../../core/index.js';
import { parseAuthRequest, type AuthRequest, type Challenge } from '../../protocol/index.js';
import { withCheck } from '../check-tag.js';
import type { KbsContext } from './context.js';
import type { AuthedSession } from './session.js';

/** Parse an `/auth` body, tagging failures for the audit record. */
export function parseAuthBody(body: unknown): AuthRequest {
  try {
    return parseAuthRequest(body);
  } catch (err) {
    if (err instanceof MalformedInput && err.where === 'tee') throw withCheck(err, 'kbs.tee.unknown');
    throw withCheck(err as Error, 'kbs.request.malformed');
  }
}

export async function handleAuth(ctx: KbsContext, body: unknown, now: Date): Promise<AuthedSession> {
  const request = parseAuthBody(body);
  if (!ctx.settings.versionOk(request.version)) {
    throw withCheck(
      new Unsupported(`KBS Client Protocol Version Mismatch: expect ${ctx.settings.versionRange} while the request is ${request.version}`),
      'kbs.version',
    );
  }
  if (!ctx.settings.supportedTees.has(request.tee)) throw withCheck(new Unsupported(`TEE ${request.tee} is not supported by this KBS`), 'kbs.tee.unsupported');
  const extra = ctx.as.challengeParams ? ctx.as.challengeParams(request.tee, request['extra-params']) : '';
  const challenge: Challenge = { nonce: toBase64(secureRandomBytes(32)), 'extra-params': extra };
  return ctx.sessions.create(request, challenge, now.getTime());
}
