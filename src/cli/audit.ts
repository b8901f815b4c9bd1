/**
 * `coco audit list [--limit N] [--outcome ok|denied|error|failure] [--route R]`: recent audit
 * records of the KBS, newest first. `failure` means denied or error.
 * @module
 */
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';
import type { AuditOutcome, AuditQuery, AuditRoute, KbsAdminClient } from './kbs-admin-client.js';

export const summary = 'list recent Trustee audit records (admin)';

const HELP = `usage:
  coco audit list [--limit N] [--outcome ok|denied|error|failure] [--route auth|attest|resource|admin]

failure = denied or error; success = ok.

${COMMON_HELP}`;

const str = (x: unknown) => (x === undefined || x === null ? '-' : typeof x === 'string' ? x : JSON.stringify(x));

/** One line per record: time, outcome, route (and resource), status, deciding check, detail. */
export function formatAuditRecord(r: Record<string, unknown>): string {
  const route = r.resource !== undefined ? `${str(r.route)} ${str(r.resource)}` : str(r.route);
  const who = r.admin ?? r.tee ?? r.session;
  const parts = [str(r.time), str(r.outcome).padEnd(6), route, str(r.status), str(r.check)];
  if (who !== undefined) parts.push(`[${str(who)}]`);
  if (r.detail !== undefined && r.detail !== '') parts.push(str(r.detail));
  return parts.join('  ');
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
