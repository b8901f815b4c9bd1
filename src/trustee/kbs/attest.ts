/**
 * `POST /kbs/v0/attest` (reference/trustee.md §1.4): the session must be live and authed, the nonce
 * must be the session's, then the AS verifies the primary evidence bound to
 * H(JCS({additional-evidence, nonce, tee-pubkey})) and each device's evidence bound to
 * H(JCS({nonce, tee-pubkey})). An already attested session gets its stored token back.
 * @module
 */
import { VerificationFailed, ecPointOf, secretEqual, type PublicJwk } from '../../core/index.js';
import {
  deviceRuntimeData,
  parseAdditionalEvidence,
  parseAttestationRequest,
  primaryRuntimeData,
  runtimeDataHashAlgorithm,
  type AttestationRequest,
} from '../../protocol/index.js';
import type { AttestationOutcome, EvidenceItem } from '../as/attestation-service.js';
import { withCheck } from '../check-tag.js';
import type { KbsContext } from './context.js';
import type { Session } from './session.js';

export interface AttestResult {
  session: Session;
  token: string;
  /** Absent when the stored token of an attested session was returned. */
  outcome?: AttestationOutcome;
}

function parseBody(body: unknown): AttestationRequest {
  try {
    return parseAttestationRequest(body);
  } catch (err) {
    throw withCheck(err as Error, 'kbs.request.malformed');
  }
}

/**
 * A P-256 TEE key's point, so that the token's signing job also prepares the release that usually
 * follows (crypto-thread.ts `PreparedRelease`); nothing for other keys or one that does not decode,
 * which the resource request then reports as it would have.
 */
function releaseOptions(teePubKey: AttestationRequest['runtime-data']['tee-pubkey']): { releaseTo: Uint8Array } | undefined {
  const key = teePubKey as unknown as PublicJwk;
  if (key.kty !== 'EC' || key.crv !== 'P-256') return undefined;
  try {
    return { releaseTo: ecPointOf(key) };
  } catch {
    return undefined;
  }
}

export async function handleAttest(ctx: KbsContext, sessionId: string | undefined, body: unknown, now: Date): Promise<AttestResult> {
  const session = await ctx.sessions.require(sessionId, now.getTime());
  if (session.state === 'attested') return { session, token: session.token };
  const request = parseBody(body);
  const { nonce, 'tee-pubkey': teePubKey } = request['runtime-data'];
  if (!secretEqual(nonce, session.challenge.nonce)) throw new VerificationFailed('kbs.nonce', 'runtime-data nonce is not the nonce of this session');
  const tee = session.request.tee;
  const hashAlgorithm = runtimeDataHashAlgorithm(tee);
  const additional = request['tee-evidence'].additional_evidence;
  let devices;
  try {
    devices = parseAdditionalEvidence(additional);
  } catch (err) {
    throw withCheck(err as Error, 'kbs.request.malformed');
  }
  const primary: EvidenceItem = {
    tee,
    evidence: request['tee-evidence'].primary_evidence,
    runtimeData: primaryRuntimeData(nonce, teePubKey, additional),
    hashAlgorithm,
  };
  if (request['init-data']) primary.initData = request['init-data'];
  const items: EvidenceItem[] = [
    primary,
    ...devices.map((d) => ({ tee: d.tee, evidence: d.evidence, runtimeData: deviceRuntimeData(nonce, teePubKey), hashAlgorithm })),
  ];
  const outcome = await ctx.as.evaluate(items, ctx.settings.policyIds, now, ctx.issued ? releaseOptions(teePubKey) : undefined);
  const attested = await ctx.sessions.attested(session, outcome.token, now.getTime());
  return { session: attested, token: outcome.token, outcome };
}
