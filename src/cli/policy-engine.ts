/**
 * `coco policy eval` and `coco policy test`: run the Rego engine from the command line.
 *
 *   coco policy eval --policy p.rego [--policy q.rego] [--input in.json] [--data d.json]
 *                    [--lookup NAME=values.json] [--explain] [--max-steps N] [--timeout-ms N]
 *                    [--non-strict] QUERY
 * `--lookup` registers a host function NAME(key) answering from a JSON object (null when the key
 * is absent), e.g. `--lookup query_reference_value=rvs.json` for attestation policies.
 *   coco policy test CASES.yaml...
 * @module
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { isCocoError } from '../core/index.js';
import { compile, toJson, type ExplainEntry, type HostBuiltin } from '../rego/index.js';
import { parseCases, runCase } from './rego-cases.js';

const USAGE = [
  'usage: coco policy eval --policy FILE.rego [--policy ...] [--input FILE.json] [--data FILE.json]',
  '                        [--lookup NAME=FILE.json] [--explain] [--max-steps N] [--timeout-ms N]',
  '                        [--non-strict] QUERY',
  '       coco policy test CASES.yaml...',
].join('\n');

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'eval') return evalCommand(rest);
    if (sub === 'test') return testCommand(rest);
  } catch (err) {
    if (isCocoError(err) || (err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) {
      console.error(`coco policy ${sub}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
  console.error(USAGE);
  return 2;
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

function evalCommand(args: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        policy: { type: 'string', multiple: true, short: 'p' },
        input: { type: 'string', short: 'i' },
        data: { type: 'string', short: 'd' },
        lookup: { type: 'string', multiple: true },
        explain: { type: 'boolean' },
        'max-steps': { type: 'string' },
        'timeout-ms': { type: 'string' },
        'non-strict': { type: 'boolean' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (!values.policy?.length || positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const modules: Record<string, string> = {};
  for (const file of values.policy) modules[file] = readFileSync(file, 'utf8');
  const builtins: Record<string, HostBuiltin> = {};
  for (const spec of values.lookup ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0) {
      console.error(`--lookup expects NAME=FILE.json, got ${JSON.stringify(spec)}`);
      return 2;
    }
    const table = readJson(spec.slice(eq + 1));
    if (!table || typeof table !== 'object' || Array.isArray(table)) {
      console.error(`--lookup ${spec.slice(0, eq)}: the file must hold a JSON object`);
      return 2;
    }
    const entries = new Map(Object.entries(table));
    builtins[spec.slice(0, eq)] = { arity: 1, fn: (key) => (typeof key === 'string' && entries.has(key) ? entries.get(key) : null) };
  }
  const policy = compile(modules, { builtins });
  const limits: { maxSteps?: number; timeoutMs?: number } = {};
  if (values['max-steps']) limits.maxSteps = Number(values['max-steps']);
  if (values['timeout-ms']) limits.timeoutMs = Number(values['timeout-ms']);
  const result = policy.eval(positionals[0]!, {
    input: values.input ? readJson(values.input) : undefined,
    data: values.data ? readJson(values.data) : undefined,
    explain: values.explain === true,
    limits,
    strictBuiltinErrors: values['non-strict'] !== true,
    now: Date.now,
    print: (line) => console.error(line),
  });
  console.log(result.value === undefined ? 'undefined' : stringify(toJson(result.value), 2));
  if (result.explain) for (const line of formatExplain(result.explain)) console.error(line);
  return 0;
}

/** JSON text with big integers written exactly. */
function stringify(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000big:${x}` : x), indent).replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

/** One line per rule body; failed ones name the expression and its operands. */
export function formatExplain(entries: ExplainEntry[]): string[] {
  return entries.map((e) => {
    if (e.succeeded) return `explain: ${e.rule} (${e.at}) succeeded`;
    if (!e.failure) return `explain: ${e.rule} (${e.at}) failed`;
    const ops = e.failure.operands.map((o) => stringify(o)).join(', ');
    return `explain: ${e.rule} (${e.at}) failed at ${e.failure.at}: ${e.failure.expr}${ops ? ` [${ops}]` : ''}`;
  });
}

function testCommand(files: string[]): number {
  if (files.length === 0 || files.some((f) => f.startsWith('-'))) {
    console.error(USAGE);
    return 2;
  }
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    for (const c of parseCases(readFileSync(file, 'utf8'))) {
      const outcome = runCase(c);
      if (outcome.status === 'skip') continue;
      if (outcome.status === 'pass') passed++;
      else {
        failed++;
        console.log(`FAIL ${basename(file)}: ${c.note}: ${outcome.detail ?? ''}`);
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
