/**
 * `POST /kbs/v0/attest` (reference/trustee.md §1.4): the session must be live and authed, the nonce
 * must be the session's, then the AS verifies the primary evidence bound to
 * H(JCS({additional-evidence, nonce, tee-pubkey})) and each device's evidence bound to
 * H(JCS({nonce, tee-pubkey})). An already attested session gets its stored token back.
 * @module
 */
import { VerificationFailed, secretEqual, type PublicJwk } from '../../core/index.js';
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

export async function handleAttest(ctx: KbsContext, sessionId: string | undefined, body: unknown, now: Date, requestId?: string): Promise<AttestResult> {
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
  const outcome = await ctx.as.evaluate(items, ctx.settings.policyIds, now, ctx.issued ? { releaseTo: teePubKey as unknown as PublicJwk, requestId } : { requestId });
  const attested = await ctx.sessions.attested(session, outcome.token, now.getTime());
  return { session: attested, token: outcome.token, outcome };
}
