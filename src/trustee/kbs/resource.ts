/**
 * `GET /kbs/v0/resource/<repo>/<type>/<tag>` (reference/trustee.md §1.5–1.6): the token comes from
 * an attested session cookie or `Authorization: Bearer`, is always verified, the resource policy
 * must allow, and the resource is returned as a flattened JWE to the TEE key found in the claims.
 * @module
 */
import { PolicyDenied, Unauthorized, Unsupported, type FlattenedJwe, type PublicJwk } from '../../core/index.js';
import { TEE_PUBKEY_PATHS, parseResourcePath, parseTeePubKey, resolvePointer, type ResourcePath } from '../../protocol/index.js';
import { withCheck } from '../check-tag.js';
import { explainResourcePolicy, summarizeToken, withAuditFields } from './audit-explain.js';
import { RESOURCE_POLICY_ID, type KbsContext } from './context.js';
import { attestRequestIdOf } from '../as/attestation-service.js';

export interface ResourceRequest {
  sessionId: string | undefined;
  authorization: string | undefined;
  /** Raw (undecoded) path segments after `/kbs/v0/resource/`. */
  segments: string[];
  query: Record<string, string>;
}

export interface ResourceRelease {
  path: ResourcePath;
  jwe: FlattenedJwe;
  claims: Record<string, unknown>;
}

/** Parse raw path segments; encoded characters, dots-only and empty segments are refused. */
export function parseResourceSegments(segments: readonly string[]): ResourcePath {
  try {
    return parseResourcePath(segments);
  } catch (err) {
    throw withCheck(err as Error, 'kbs.resource.path');
  }
}

/** The attestation token of a request: its attested session's, or the bearer token. */
export async function tokenOf(ctx: KbsContext, req: Pick<ResourceRequest, 'sessionId' | 'authorization'>, now: Date): Promise<string> {
  return (await findToken(ctx, req, now)).token;
}

/** The token of the attested session the cookie names (with that session's id), else the bearer token. */
async function findToken(ctx: KbsContext, req: Pick<ResourceRequest, 'sessionId' | 'authorization'>, now: Date): Promise<{ token: string; sessionId?: string }> {
  const session = await ctx.sessions.findAttested(req.sessionId, now.getTime());
  if (session) return { token: session.token, sessionId: session.id };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '');
  if (m) return { token: m[1]! };
  throw withCheck(new Unauthorized('no attested session cookie and no bearer attestation token'), 'kbs.token.missing');
}

/** The TEE public key the resource is encrypted to. */
export function teePubKeyOf(claims: Record<string, unknown>, extraPaths: readonly string[]): PublicJwk {
  for (const p of [...extraPaths, ...TEE_PUBKEY_PATHS]) {
    const v = resolvePointer(claims, p);
    if (v === undefined) continue;
    try {
      return parseTeePubKey(v, 'tee-pubkey') as unknown as PublicJwk;
    } catch (err) {
      throw withCheck(err as Error, 'kbs.jwe.tee_pubkey');
    }
  }
  throw withCheck(new Unsupported('the attestation token carries no TEE public key'), 'kbs.jwe.tee_pubkey');
}

/** Evaluate the resource policy (`data.policy.allow` must be exactly true). */
export async function authorizeRelease(ctx: KbsContext, claims: Record<string, unknown>, plugin: string, segments: string[], query: Record<string, string>): Promise<void> {
  let allowed: unknown;
  let policy;
  const data = { plugin, 'resource-path': segments, query };
  try {
    policy = await ctx.resourcePolicy.get(RESOURCE_POLICY_ID);
    allowed = policy.evalJson('data.policy.allow', { input: claims, data, memo: true });
  } catch (err) {
    ctx.metrics.policy('error');
    throw withCheck(err as Error, 'kbs.resource.policy_error');
  }
  if (allowed !== true) {
    ctx.metrics.policy('deny');
    // Slow path: say which expression of the resource policy refused.
    const text = await ctx.resourcePolicy.text(RESOURCE_POLICY_ID).catch(() => undefined);
    const explain = explainResourcePolicy(policy, text, RESOURCE_POLICY_ID, claims, data);
    throw withAuditFields(new PolicyDenied('resource policy did not allow the release', { rule: 'kbs.resource.policy' }), { explain });
  }
  ctx.metrics.policy('allow');
}

export async function handleResourceGet(ctx: KbsContext, req: ResourceRequest, now: Date): Promise<ResourceRelease> {
  const path = parseResourceSegments(req.segments);
  const { token, sessionId } = await findToken(ctx, req, now);
  const claims = await ctx.tokens.verifyAsync(token, now);
  try {
    await authorizeRelease(ctx, claims, 'resource', req.segments, req.query);
  } catch (err) {
    const summary = summarizeToken(token, claims);
    // Our own tokens name their attest request; a session token also names its session (audit ids are 8 digits).
    const requestId = attestRequestIdOf(claims);
    const from = requestId !== undefined ? { requestId, ...(sessionId ? { session: sessionId.slice(0, 8) } : {}) } : ctx.audit.attestationOf(token);
    if (from) summary.attestation = from;
    throw withAuditFields(err as Error, { token: summary });
  }
  let value: Uint8Array;
  try {
    value = await ctx.resources.read(path);
  } catch (err) {
    throw withCheck(err as Error, 'kbs.resource.missing');
  }
  const key = teePubKeyOf(claims, ctx.settings.extraTeeKeyPaths);
  let jwe: FlattenedJwe;
  try {
    jwe = await ctx.crypto.seal(value, key, ctx.issued?.takeRelease(token, Math.floor(now.getTime() / 1000)));
  } catch (err) {
    throw withCheck(err as Error, 'kbs.jwe.alg');
  }
  ctx.metrics.resource('read', `${path.repository}/${path.type}/${path.tag}`);
  return { path, jwe, claims };
}
