/**
 * `coco initdata build|digest|annotate`: write the initdata TOML for a pod, show its digest and
 * what the TEE hardware will report for it, and print the pod annotation value.
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { digest, fromUtf8, isCocoError, toHex } from '../core/index.js';
import { buildInitData } from '../data/index.js';
import { INITDATA_ANNOTATION, encodeInitDataAnnotation, initDataHardwareValues, parseInitData } from '../protocol/index.js';

export const summary = 'build initdata TOML, print its digest, hardware values and pod annotation';

const USAGE = `usage:
  coco initdata build [--kbs URL] [--kbs-cert PEM] [--aa-toml FILE] [--cdh-toml FILE] [--policy REGO]
                      [--algorithm sha256|sha384|sha512] [--out FILE]
  coco initdata digest --in FILE [--json]
  coco initdata annotate --in FILE [--yaml]`;

const OPTIONS = {
  kbs: { type: 'string' },
  'kbs-cert': { type: 'string' },
  'aa-toml': { type: 'string' },
  'cdh-toml': { type: 'string' },
  policy: { type: 'string' },
  algorithm: { type: 'string' },
  out: { type: 'string' },
  in: { type: 'string' },
  json: { type: 'boolean' },
  yaml: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  let values: Values;
  try {
    values = parseArgs({ args: rest, options: OPTIONS, strict: true }).values;
  } catch (err) {
    console.error(`coco initdata: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help || !sub || !['build', 'digest', 'annotate'].includes(sub) || (sub !== 'build' && !values.in)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    if (sub === 'build') return await build(values);
    const bytes = new Uint8Array(await readFile(values.in!));
    const text = fromUtf8(bytes, values.in);
    if (sub === 'digest') console.log(describeDigest(bytes, text, values.json === true));
    else {
      parseInitData(text);
      const value = encodeInitDataAnnotation(text);
      console.log(values.yaml ? `${INITDATA_ANNOTATION}: ${value}` : value);
    }
    return 0;
  } catch (err) {
    if (!isCocoError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    console.error(`coco initdata ${sub}: ${(err as Error).message}`);
    return 1;
  }
}

async function build(v: Values): Promise<number> {
  const read = async (p: string | undefined) => (p === undefined ? undefined : readFile(p, 'utf8'));
  const { toml } = buildInitData({
    kbsUrl: v.kbs,
    kbsCert: await read(v['kbs-cert']),
    aaToml: await read(v['aa-toml']),
    cdhToml: await read(v['cdh-toml']),
    policyRego: await read(v.policy),
    algorithm: (v.algorithm ?? 'sha384') as 'sha384',
  });
  if (v.out) await writeFile(v.out, toml);
  else process.stdout.write(toml);
  return 0;
}

/** The digest by the document's own algorithm (over the exact file bytes) and the hardware views. */
export function describeDigest(bytes: Uint8Array, text: string, json: boolean): string {
  const { algorithm } = parseInitData(text);
  const d = digest(algorithm, bytes);
  const hw = initDataHardwareValues(d);
  const out = {
    algorithm,
    digest: toHex(d),
    snpHostData: toHex(hw.snpHostData),
    tdxMrConfigId: toHex(hw.tdxMrConfigId),
    tpmPcr8: toHex(hw.pcr8),
  };
  if (json) return JSON.stringify(out, null, 2);
  return [
    `algorithm            ${out.algorithm}`,
    `digest               ${out.digest}`,
    `SNP HOST_DATA (32 B) ${out.snpHostData}`,
    `TDX MRCONFIGID (48 B) ${out.tdxMrConfigId}`,
    `vTPM PCR 8 (SHA-256) ${out.tpmPcr8}   (one extend from zero)`,
  ].join('\n');
}
