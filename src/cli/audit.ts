/**
 * `coco audit list [--limit N] [--outcome success|failure]`: recent audit records of the KBS.
 * @module
 */
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';

export const summary = 'list recent Trustee audit records (admin)';

const HELP = `usage:
  coco audit list [--limit N] [--outcome success|failure]

${COMMON_HELP}`;

const str = (x: unknown) => (x === undefined || x === null ? '-' : typeof x === 'string' ? x : JSON.stringify(x));

/** One line per record: time, outcome, action, subject and detail, whatever of them is present. */
export function formatAuditRecord(r: Record<string, unknown>): string {
  const time = r.time ?? r.timestamp ?? r.at;
  const action = r.action ?? r.event ?? r.operation ?? (r.method && r.path ? `${r.method} ${r.path}` : r.path);
  const who = r.subject ?? r.actor ?? r.session ?? r.tee;
  const detail = r.detail ?? r.reason ?? r.error ?? r.check;
  return [str(time), str(r.outcome).padEnd(7), str(action), str(who), detail === undefined ? '' : str(detail)].join('  ').trimEnd();
}

export async function run(args: string[]): Promise<number> {
  return runCommand('audit', HELP, async () => {
    const { values: v, positionals } = parseCommand(args, { limit: { type: 'string' }, outcome: { type: 'string' } });
    if (v.help) return (io.log(HELP), 0);
    const [sub, ...rest] = positionals;
    if (sub !== 'list') throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    let limit: number | undefined;
    if (v.limit !== undefined) {
      if (!/^\d+$/.test(v.limit) || Number(v.limit) < 1 || Number(v.limit) > 100_000) throw new UsageError('--limit must be an integer from 1 to 100000');
      limit = Number(v.limit);
    }
    if (v.outcome !== undefined && v.outcome !== 'success' && v.outcome !== 'failure') throw new UsageError('--outcome must be success or failure');
    const records = await clientFrom(v).listAudit({ ...(limit !== undefined ? { limit } : {}), ...(v.outcome ? { outcome: v.outcome } : {}) });
    output(v.json, records, () => (records.length ? records.map(formatAuditRecord).join('\n') : '(no audit records)'));
    return 0;
  });
}
