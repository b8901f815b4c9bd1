/**
 * The confidential analytics job (seed workload 1). Runs inside the pod VM after the init
 * container released the parties' dataset keys into a memory-backed volume:
 *   1. stream each encrypted dataset (file or HTTPS) through the verified decryptor into memory,
 *   2. load both into an isolated in-memory DuckDB and run the clean-room join,
 *   3. encrypt the aggregate with the result key (a sealed secret unsealed by the CDH) and write
 *      only that ciphertext out. No plaintext row ever touches a disk.
 *
 *   node --import tsx examples/analytics/job.ts \
 *     --dataset transactions=https://host/a.csv.enc,/keys/party-a.key \
 *     --dataset customers=/data/b.csv.enc,/keys/party-b.key \
 *     --out /results/aggregate.json.enc [--result-key FILE | env RESULT_KEY] [--min-group 5]
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { concatBytes, fromUtf8 } from '../../src/core/index.js';
import { decryptStream, encryptBytes, parseDataKey } from '../../src/data/index.js';
import { runCleanRoom, type AggregateRow, type Dataset } from './clean-room.js';
import { parseCsv } from './csv.js';
import { CUSTOMER_COLUMNS, TRANSACTION_COLUMNS } from './datasets.js';

const TABLES = { transactions: TRANSACTION_COLUMNS, customers: CUSTOMER_COLUMNS } as const;
type Table = keyof typeof TABLES;

export interface DatasetInput {
  table: Table;
  /** A file path or an http(s) URL of the encrypted dataset. */
  source: string;
  key: Uint8Array;
}

export interface JobResult {
  inputs: Record<string, number>;
  minGroupSize: number;
  groups: AggregateRow[];
}

/** Decrypt one dataset into memory; throws (and yields nothing) unless every chunk verified. */
export async function loadEncryptedDataset(input: DatasetInput, fetchImpl: typeof fetch = fetch): Promise<Dataset> {
  let pieces: AsyncIterable<Uint8Array>;
  if (/^https?:\/\//.test(input.source)) {
    const res = await fetchImpl(input.source);
    if (!res.ok || !res.body) throw new Error(`${input.source}: HTTP ${res.status}`);
    pieces = res.body as unknown as AsyncIterable<Uint8Array>;
  } else {
    pieces = createReadStream(input.source, { highWaterMark: 1 << 20 });
  }
  const parts: Uint8Array[] = [];
  for await (const p of decryptStream(pieces, input.key)) parts.push(p);
  const text = fromUtf8(concatBytes(...parts), input.table);
  return { table: input.table, columns: TABLES[input.table], rows: parseCsv(text, TABLES[input.table], input.table) };
}

/** The whole job: decrypt, join in the clean room, encrypt the result to `out`. */
export async function runAnalyticsJob(opts: {
  datasets: DatasetInput[];
  resultKey: Uint8Array;
  out: string;
  minGroupSize?: number;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}): Promise<JobResult> {
  const log = opts.log ?? (() => undefined);
  const loaded: Dataset[] = [];
  for (const d of opts.datasets) {
    const ds = await loadEncryptedDataset(d, opts.fetchImpl);
    log(`decrypted and verified ${d.table}: ${ds.rows.length} rows (in memory only)`);
    loaded.push(ds);
  }
  const minGroupSize = opts.minGroupSize ?? 5;
  const groups = await runCleanRoom(loaded, minGroupSize);
  log(`clean room (DuckDB, no external access) released ${groups.length} groups with ≥ ${minGroupSize} customers`);
  const result: JobResult = { inputs: Object.fromEntries(loaded.map((d) => [d.table, d.rows.length])), minGroupSize, groups };
  const sealed = encryptBytes(new TextEncoder().encode(JSON.stringify(result)), opts.resultKey, { keyId: 'kbs:///default/analytics/result-key' });
  await writeFile(opts.out, sealed);
  log(`wrote the encrypted aggregate to ${opts.out} (${sealed.length} bytes)`);
  return result;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { dataset: { type: 'string', multiple: true }, out: { type: 'string' }, 'result-key': { type: 'string' }, 'min-group': { type: 'string' } },
  });
  if (!values.dataset?.length || !values.out) {
    console.error('usage: job.ts --dataset TABLE=SOURCE,KEYFILE ... --out FILE [--result-key FILE] [--min-group N]');
    return 2;
  }
  const datasets: DatasetInput[] = [];
  for (const spec of values.dataset) {
    const m = /^(transactions|customers)=(.+),([^,]+)$/.exec(spec);
    if (!m) throw new Error(`bad --dataset ${spec}`);
    const key = parseDataKey(new Uint8Array(await readFile(m[3]!)));
    if (!key) throw new Error(`${m[3]}: not a 32-byte key`);
    datasets.push({ table: m[1] as Table, source: m[2]!, key });
  }
  const resultKeyText = values['result-key'] ? await readFile(values['result-key']) : process.env.RESULT_KEY;
  const resultKey = resultKeyText === undefined ? undefined : parseDataKey(typeof resultKeyText === 'string' ? resultKeyText : new Uint8Array(resultKeyText));
  if (!resultKey) throw new Error('no result key: pass --result-key FILE or set RESULT_KEY (hex or base64 of 32 bytes)');
  await runAnalyticsJob({ datasets, resultKey, out: values.out, minGroupSize: Number(values['min-group'] ?? 5), log: (l) => console.log(l) });
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`analytics job failed closed: ${err.message}`);
      process.exit(1);
    },
  );
}
