/**
 * `coco policy set-resource|get-resource|set-attestation|get-attestation`: Trustee policies over the
 * admin API (bodies per reference/trustee.md §1.10: policies base64url without padding).
 * @module
 */
import { readFileSync } from 'node:fs';
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';

const HELP = `usage:
  coco policy set-resource (--file FILE | --allow-all | --deny-all)
  coco policy get-resource
  coco policy set-attestation --file FILE [--id default_cpu] [--type rego]
  coco policy get-attestation [--id default_cpu]

${COMMON_HELP}`;

/** Resource policies that allow or deny every request (package `policy`, rule `allow`, as upstream). */
export const ALLOW_ALL_RESOURCE_POLICY = 'package policy\n\ndefault allow := true\n';
export const DENY_ALL_RESOURCE_POLICY = 'package policy\n\ndefault allow := false\n';

export async function run(args: string[]): Promise<number> {
  return runCommand('policy', HELP, async () => {
    const { values: v, positionals } = parseCommand(args, {
      file: { type: 'string' },
      'allow-all': { type: 'boolean' },
      'deny-all': { type: 'boolean' },
      id: { type: 'string' },
      type: { type: 'string' },
    });
    const [sub, ...rest] = positionals;
    if (v.help) return (io.log(HELP), 0);
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const client = clientFrom(v);
    const id = v.id ?? 'default_cpu';
    switch (sub) {
      case 'set-resource': {
        const sources = [v.file !== undefined, v['allow-all'] === true, v['deny-all'] === true].filter(Boolean).length;
        if (sources !== 1) throw new UsageError('give exactly one of --file, --allow-all and --deny-all');
        const rego = v.file !== undefined ? readFileSync(v.file, 'utf8') : v['allow-all'] ? ALLOW_ALL_RESOURCE_POLICY : DENY_ALL_RESOURCE_POLICY;
        await client.setResourcePolicy(rego);
        output(v.json, { set: 'resource-policy', bytes: rego.length }, () => 'resource policy set');
        return 0;
      }
      case 'get-resource': {
        const p = await client.getResourcePolicy();
        output(v.json, p, () => (typeof p === 'string' ? p : Array.isArray(p) ? p.join('\n') : JSON.stringify(p, null, 2)));
        return 0;
      }
      case 'set-attestation': {
        if (v.file === undefined) throw new UsageError('set-attestation needs --file');
        const rego = readFileSync(v.file, 'utf8');
        await client.setAttestationPolicy(id, rego, v.type ?? 'rego');
        output(v.json, { set: 'attestation-policy', policy_id: id }, () => `attestation policy ${id} set`);
        return 0;
      }
      case 'get-attestation': {
        const p = await client.getAttestationPolicy(id);
        output(v.json, p, () => (typeof p === 'string' ? p : JSON.stringify(p, null, 2)));
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    }
  });
}
