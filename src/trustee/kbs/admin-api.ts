/**
 * Admin endpoints behind `admin.authorize` (reference/trustee.md §1.2, §1.10): resources,
 * attestation and resource policies, reference values, and (beyond upstream) resource listing,
 * policy read-back and the audit log.
 * @module
 */
import { MalformedInput, NotFound, expectObject, expectString, optionalString } from '../../core/index.js';
import { decodePolicyText, parsePolicyId } from '../as/policy.js';
import { parseRvpsMessage } from '../rvps/reference-values.js';
import type { AuditOutcome, AuditRecord, AuditRoute } from './audit.js';
import { RESOURCE_POLICY_ID, type KbsContext } from './context.js';
import { parseResourceSegments } from './resource.js';

export async function setAttestationPolicy(ctx: KbsContext, body: unknown): Promise<string> {
  const o = expectObject(body, 'body');
  const id = parsePolicyId(expectString(o.policy_id, 'policy_id'));
  optionalString(o.type, 'type');
  await ctx.asPolicies.set(id, decodePolicyText(o.policy, 'policy'));
  return id;
}

export async function getAttestationPolicy(ctx: KbsContext, id: string): Promise<string> {
  const text = await ctx.asPolicies.text(id);
  if (text === undefined) throw new NotFound(`attestation policy ${id} not found`);
  return text;
}

export async function setResourcePolicy(ctx: KbsContext, body: unknown): Promise<void> {
  const o = expectObject(body, 'body');
  await ctx.resourcePolicy.set(RESOURCE_POLICY_ID, decodePolicyText(o.policy, 'policy'));
}

export async function getResourcePolicyText(ctx: KbsContext): Promise<string> {
  const text = await ctx.resourcePolicy.text(RESOURCE_POLICY_ID);
  if (text === undefined) throw new NotFound('resource policy not set');
  return text;
}

export async function registerReferenceValue(ctx: KbsContext, body: unknown): Promise<string[]> {
  return ctx.rvps.register(parseRvpsMessage(body), ctx.now().getTime());
}

export async function getReferenceValue(ctx: KbsContext, id: string): Promise<unknown> {
  const rec = await ctx.rvps.get(id);
  if (!rec) throw new NotFound(`reference value ${id} not found`);
  return rec.value;
}

export async function writeResource(ctx: KbsContext, segments: string[], value: Uint8Array): Promise<void> {
  const path = parseResourceSegments(segments);
  await ctx.resources.write(path, value);
  ctx.metrics.resource('write', segments.join('/'));
}

export async function deleteResource(ctx: KbsContext, segments: string[]): Promise<void> {
  const path = parseResourceSegments(segments);
  await ctx.resources.remove(path);
  ctx.metrics.resource('delete', segments.join('/'));
}

const OUTCOMES = new Set(['ok', 'denied', 'error', 'failure']);
/** Older spellings the admin CLI may send. */
const OUTCOME_ALIASES: Record<string, string> = { success: 'ok' };
const ROUTES = new Set(['auth', 'attest', 'resource', 'admin']);

export async function readAudit(ctx: KbsContext, query: Record<string, string>): Promise<AuditRecord[]> {
  const limit = query.limit === undefined ? undefined : Number(query.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new MalformedInput('limit: expected a positive integer', { where: 'limit' });
  const outcome = query.outcome === undefined ? undefined : (OUTCOME_ALIASES[query.outcome] ?? query.outcome);
  if (outcome !== undefined && !OUTCOMES.has(outcome)) throw new MalformedInput('outcome: expected ok, denied, error or failure', { where: 'outcome' });
  if (query.route !== undefined && !ROUTES.has(query.route)) throw new MalformedInput('route: expected auth, attest, resource or admin', { where: 'route' });
  const q: { limit?: number; outcome?: AuditOutcome | 'failure'; route?: AuditRoute } = {};
  if (limit !== undefined) q.limit = limit;
  if (outcome) q.outcome = outcome as AuditOutcome | 'failure';
  if (query.route) q.route = query.route as AuditRoute;
  return ctx.audit.list(q);
}
