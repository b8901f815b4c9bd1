/**
 * `coco audit list [--limit N] [--outcome ok|denied|error|failure] [--route R]`: recent audit
 * records of the KBS, newest first. `failure` means denied or error.
 * @module
 */
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';
import { formatExplanation, type ClaimExplanation } from '../trustee/index.js';
import type { AuditOutcome, AuditQuery, AuditRoute, KbsAdminClient } from './kbs-admin-client.js';

export const summary = 'list recent Trustee audit records (admin)';

const HELP = `usage:
  coco audit list [--limit N] [--outcome ok|denied|error|failure] [--route auth|attest|resource|admin]

failure = denied or error; success = ok. A record that explains its decision (lowered trust
claims of an attestation, the resource-policy expression that refused) prints indented
"why:" lines, and a refused resource the token that was presented.

${COMMON_HELP}`;

const str = (x: unknown) => (x === undefined || x === null ? '-' : typeof x === 'string' ? x : JSON.stringify(x));

const text = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const texts = (x: unknown): string[] | undefined => (Array.isArray(x) ? x.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : undefined);

/** Read one `explain` entry of a record from the server loosely (wrong types become absent). */
function explanationOf(x: unknown): ClaimExplanation | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  const reason = o.reason === 'default' || o.reason === 'set' ? o.reason : 'failed';
  const e: ClaimExplanation = { claim: text(o.claim) ?? '?', policy: text(o.policy) ?? '?', reason };
  if (typeof o.value === 'number') e.value = o.value;
  const fields = { submod: text(o.submod), at: text(o.at), expression: text(o.expression), operands: texts(o.operands), referenceValues: texts(o.referenceValues) };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (e as unknown as Record<string, unknown>)[k] = v;
  return e;
}

/** The indented lines under a record: one per lowered claim / failing expression, then the token. */
function whyLines(r: Record<string, unknown>): string[] {
  const lines: string[] = [];
  if (Array.isArray(r.explain)) {
    for (const x of r.explain) {
      const e = explanationOf(x);
      if (e) lines.push(`    why: ${formatExplanation(e)}`);
    }
  }
  const t = r.token;
  if (t !== null && typeof t === 'object') {
    const o = t as Record<string, unknown>;
    const trust = o.trust !== null && typeof o.trust === 'object' ? Object.entries(o.trust as Record<string, unknown>).map(([k, v]) => `${k} ${str(v)}`) : [];
    const a = o.attestation !== null && typeof o.attestation === 'object' ? (o.attestation as Record<string, unknown>) : undefined;
    const from = a ? `; from attest ${str(a.requestId)}${a.session !== undefined ? ` [${str(a.session)}]` : ''}` : '';
    lines.push(`    token ${str(o.id)}: ${str(o.status)}${trust.length ? ` (${trust.join('; ')})` : ''}${from}`);
  }
  return lines;
}

/** One line per record: time, outcome, route (and resource), status, deciding check, detail; then why. */
export function formatAuditRecord(r: Record<string, unknown>): string {
  const route = r.resource !== undefined ? `${str(r.route)} ${str(r.resource)}` : str(r.route);
  const who = r.admin ?? r.tee ?? r.session;
  const parts = [str(r.time), str(r.outcome).padEnd(6), route, str(r.status), str(r.check)];
  if (who !== undefined) parts.push(`[${str(who)}]`);
  if (r.detail !== undefined && r.detail !== '') parts.push(str(r.detail));
  if (r.earStatus !== undefined) parts.push(`status ${str(r.earStatus)}`);
  if (r.tokenId !== undefined) parts.push(`token ${str(r.tokenId)}`);
  return [parts.join('  '), ...whyLines(r)].join('\n');
}

const OUTCOMES: Record<string, AuditOutcome[]> = { ok: ['ok'], success: ['ok'], denied: ['denied'], error: ['error'], failure: ['denied', 'error'] };
const ROUTES = new Set(['auth', 'attest', 'resource', 'admin']);

/** Fetch records; `failure` merges the denied and error lists, newest first. */
async function fetchAudit(client: KbsAdminClient, limit: number | undefined, outcomes: AuditOutcome[] | undefined, route: AuditRoute | undefined) {
  const base: AuditQuery = { ...(limit !== undefined ? { limit } : {}), ...(route ? { route } : {}) };
  if (!outcomes || outcomes.length === 1) return client.listAudit({ ...base, ...(outcomes ? { outcome: outcomes[0]! } : {}) });
  const lists = await Promise.all(outcomes.map((outcome) => client.listAudit({ ...base, outcome })));
  const merged = lists.flat().sort((a, b) => String(b.time ?? '').localeCompare(String(a.time ?? '')));
  return limit !== undefined ? merged.slice(0, limit) : merged;
}

export async function run(args: string[]): Promise<number> {
  return runCommand('audit', HELP, async () => {
    const { values: v, positionals } = parseCommand(args, { limit: { type: 'string' }, outcome: { type: 'string' }, route: { type: 'string' } });
    if (v.help) return (io.log(HELP), 0);
    const [sub, ...rest] = positionals;
    if (sub !== 'list') throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    let limit: number | undefined;
    if (v.limit !== undefined) {
      if (!/^\d+$/.test(v.limit) || Number(v.limit) < 1 || Number(v.limit) > 100_000) throw new UsageError('--limit must be an integer from 1 to 100000');
      limit = Number(v.limit);
    }
    const outcomes = v.outcome === undefined ? undefined : OUTCOMES[v.outcome];
    if (v.outcome !== undefined && !outcomes) throw new UsageError('--outcome must be ok, denied, error, failure or success');
    if (v.route !== undefined && !ROUTES.has(v.route)) throw new UsageError('--route must be auth, attest, resource or admin');
    const records = await fetchAudit(clientFrom(v), limit, outcomes, v.route as AuditRoute | undefined);
    output(v.json, records, () => (records.length ? records.map(formatAuditRecord).join('\n') : '(no audit records)'));
    return 0;
  });
}
