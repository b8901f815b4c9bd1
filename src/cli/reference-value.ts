/**
 * `coco reference-value set|get`: RVPS reference values over the KBS admin API. `set NAME VALUE`
 * builds the sample message `{"version":"0.1.0","type":"sample","payload":"<std-b64 of {NAME: value}>"}`
 * like upstream kbs-client; `set --message FILE` posts any RVPS message as is.
 * @module
 */
import { readFileSync } from 'node:fs';
import { toBase64, utf8 } from '../core/index.js';
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';

export const summary = 'set and get RVPS reference values (admin)';

const HELP = `usage:
  coco reference-value set NAME VALUE [--as-single-value | --as-integer | --as-bool]
  coco reference-value set --message FILE
  coco reference-value get NAME

By default VALUE is stored as a one-element list of strings (["VALUE"]), as upstream.

${COMMON_HELP}`;

/** The sample RVPS message for one reference value. */
export function sampleMessage(name: string, value: unknown): { version: string; type: string; payload: string } {
  return { version: '0.1.0', type: 'sample', payload: toBase64(utf8(JSON.stringify({ [name]: value }))) };
}

function typedValue(raw: string, v: { 'as-single-value'?: boolean | undefined; 'as-integer'?: boolean | undefined; 'as-bool'?: boolean | undefined }): unknown {
  const picked = [v['as-single-value'], v['as-integer'], v['as-bool']].filter(Boolean).length;
  if (picked > 1) throw new UsageError('give at most one of --as-single-value, --as-integer and --as-bool');
  if (v['as-integer']) {
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`not an integer: ${raw}`);
    return Number(raw);
  }
  if (v['as-bool']) {
    if (raw !== 'true' && raw !== 'false') throw new UsageError(`not a boolean: ${raw}`);
    return raw === 'true';
  }
  return v['as-single-value'] ? raw : [raw];
}

export async function run(args: string[]): Promise<number> {
  return runCommand('reference-value', HELP, async () => {
    const { values: v, positionals } = parseCommand(args, {
      message: { type: 'string' },
      'as-single-value': { type: 'boolean' },
      'as-integer': { type: 'boolean' },
      'as-bool': { type: 'boolean' },
    });
    if (v.help) return (io.log(HELP), 0);
    const [sub, name, value, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const client = clientFrom(v);
    switch (sub) {
      case 'set': {
        let message: unknown;
        if (v.message !== undefined) {
          if (name !== undefined) throw new UsageError('give either --message or NAME VALUE');
          message = JSON.parse(readFileSync(v.message, 'utf8'));
        } else {
          if (name === undefined || value === undefined) throw new UsageError('set needs NAME and VALUE (or --message FILE)');
          message = sampleMessage(name, typedValue(value, v));
        }
        await client.setReferenceValue(message);
        output(v.json, { set: name ?? v.message }, () => `reference value ${name ?? `from ${v.message}`} registered`);
        return 0;
      }
      case 'get': {
        if (name === undefined || value !== undefined) throw new UsageError('get needs exactly one NAME');
        const rv = await client.getReferenceValue(name);
        output(v.json, rv, () => JSON.stringify(rv, null, 2));
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    }
  });
}
