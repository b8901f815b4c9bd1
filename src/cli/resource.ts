/**
 * `coco resource set|get|delete|list`: manage KBS resources over the admin API.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { toBase64, utf8 } from '../core/index.js';
import { COMMON_HELP, UsageError, io, clientFrom, output, parseCommand, runCommand } from './admin-common.js';

export const summary = 'set, get, delete and list KBS resources (admin)';

const HELP = `usage:
  coco resource set <repo/type/tag> (--file FILE | --value TEXT | --file -)
  coco resource get <repo/type/tag> [--out FILE]
  coco resource delete <repo/type/tag>
  coco resource list

${COMMON_HELP}`;

function readInput(file: string | undefined, value: string | undefined): Uint8Array {
  if ((file === undefined) === (value === undefined)) throw new UsageError('give exactly one of --file and --value');
  if (value !== undefined) return utf8(value);
  return new Uint8Array(readFileSync(file === '-' ? 0 : file!));
}

export async function run(args: string[]): Promise<number> {
  return runCommand('resource', HELP, async () => {
    const { values: v, positionals } = parseCommand(args, { file: { type: 'string' }, value: { type: 'string' }, out: { type: 'string' } });
    const [sub, path, ...rest] = positionals;
    if (v.help) return (io.log(HELP), 0);
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    const client = clientFrom(v);
    const needPath = () => {
      if (!path) throw new UsageError(`${sub} needs a resource path repo/type/tag`);
      return path;
    };
    switch (sub) {
      case 'set': {
        const p = needPath();
        const data = readInput(v.file, v.value);
        await client.setResource(p, data);
        output(v.json, { path: p, bytes: data.length }, () => `stored ${p} (${data.length} bytes)`);
        return 0;
      }
      case 'get': {
        const p = needPath();
        const data = await client.getResource(p);
        if (v.out) {
          writeFileSync(v.out, data, { mode: 0o600 });
          output(v.json, { path: p, bytes: data.length, out: v.out }, () => `wrote ${data.length} bytes to ${v.out}`);
        } else if (v.json) output(true, { path: p, base64: toBase64(data) }, () => '');
        else io.out(data);
        return 0;
      }
      case 'delete': {
        const p = needPath();
        await client.deleteResource(p);
        output(v.json, { path: p, deleted: true }, () => `deleted ${p}`);
        return 0;
      }
      case 'list': {
        if (path) throw new UsageError('list takes no path');
        const paths = await client.listResources();
        output(v.json, paths, () => (paths.length ? paths.join('\n') : '(no resources)'));
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    }
  });
}
