/**
 * Demo workloads, each split into what the data owner does on their laptop (CLI commands) and
 * what runs inside the pod VM (init container through the in-guest REST API, then the job).
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run as dataCli } from '../../src/cli/data.js';
import { run as modelFetchCli } from '../../src/cli/guest-model-fetch.js';
import { run as keyCli } from '../../src/cli/key.js';
import { run as secretCli } from '../../src/cli/secret.js';
import { toCsv } from '../analytics/csv.js';
import { CUSTOMER_COLUMNS, TRANSACTION_COLUMNS, generateDatasets } from '../analytics/datasets.js';
import { runAnalyticsJob, type JobResult } from '../analytics/job.js';
import type { DemoGuest } from './guest-side.js';

export interface Ctx {
  kbsUrl: string;
  adminTokenFile: string;
  /** The untrusted blob store (an HTTP server holding only ciphertext). */
  blobUrl: string;
  blobDir: string;
  work: string;
  step(text: string): void;
  ok(text: string): void;
}

async function cli(name: string, fn: () => Promise<number>): Promise<void> {
  const code = await fn();
  if (code !== 0) throw new Error(`${name} exited with ${code}`);
}

/** Party X creates its key in Trustee and encrypts its dataset with it. */
async function ownerEncrypts(ctx: Ctx, party: string, csv: string, keyId: string): Promise<string> {
  const dir = join(ctx.work, `owner-${party}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.csv'), csv);
  await cli('coco key create', () => keyCli(['create', '--kbs', ctx.kbsUrl, '--id', keyId, '--out', join(dir, 'data.key'), '--token-file', ctx.adminTokenFile]));
  await cli('coco data encrypt', () =>
    dataCli(['encrypt', '--key', join(dir, 'data.key'), '--key-id', `kbs:///${keyId}`, '--in', join(dir, 'data.csv'), '--out', join(ctx.blobDir, `${party}.csv.enc`), '--chunk-size', '65536']),
  );
  ctx.ok(`party ${party}: key kbs:///${keyId} uploaded to Trustee; ${csv.length} bytes of CSV encrypted to the blob store`);
  return join(dir, 'data.key');
}

/** Workload 1: the two-party clean room. */
export async function runAnalyticsWorkload(ctx: Ctx, guest: DemoGuest): Promise<JobResult> {
  ctx.step('Workload 1 — confidential analytics (two-party clean room, DuckDB)');
  const data = generateDatasets(400, 6000, 11);
  await ownerEncrypts(ctx, 'bank', toCsv(TRANSACTION_COLUMNS, data.transactions), 'default/analytics/party-a-key');
  await ownerEncrypts(ctx, 'retailer', toCsv(CUSTOMER_COLUMNS, data.customers), 'default/analytics/party-b-key');

  const owners = join(ctx.work, 'owners');
  mkdirSync(owners, { recursive: true });
  const resultKeyFile = join(owners, 'result.key');
  await cli('coco key create', () =>
    keyCli(['create', '--kbs', ctx.kbsUrl, '--id', 'default/analytics/result-key', '--format', 'base64', '--out', resultKeyFile, '--token-file', ctx.adminTokenFile]),
  );
  await cli('coco secret keygen', () => secretCli(['keygen', '--kid', 'kbs:///default/sealed-secret-keys/demo', '--output-dir', owners], { write: () => undefined }));
  const { uploadResource } = await import('../../src/cli/key.js');
  await uploadResource(ctx.kbsUrl, { repository: 'default', type: 'sealed-secret-keys', tag: 'demo' }, readFileSync(join(owners, 'default_sealed-secret-keys_demo-public.json')), readFileSync(ctx.adminTokenFile, 'utf8'));
  let sealed = '';
  await cli('coco secret seal', () =>
    secretCli(
      ['seal', 'vault', '--resource-uri', 'kbs:///default/analytics/result-key', '--signing-kid', 'kbs:///default/sealed-secret-keys/demo', '--signing-jwk-path', join(owners, 'default_sealed-secret-keys_demo-private.json')],
      { write: (s) => (sealed += String(s)) },
    ),
  );
  ctx.ok(`result key in Trustee; the pod's RESULT_KEY env is a sealed secret (${sealed.trim().slice(0, 40)}…)`);

  ctx.step('pod VM: init container releases both dataset keys into the memory-backed /keys volume');
  const keysDir = join(ctx.work, 'pod-keys');
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  for (const [name, path] of [['party-a', 'default/analytics/party-a-key'], ['party-b', 'default/analytics/party-b-key']] as const) {
    const res = await fetch(`${guest.apiUrl}/cdh/resource/${path}`);
    if (res.status !== 200) throw new Error(`init container: ${path} refused (${res.status} ${await res.text()})`);
    writeFileSync(join(keysDir, `${name}.key`), new Uint8Array(await res.arrayBuffer()), { mode: 0o600 });
  }
  ctx.ok('attested to Trustee; both keys released as JWE to the TEE key and written to /keys');
  const resultKey = await guest.cdh.unsealSecret(sealed.trim());
  ctx.ok('CDH verified the sealed secret (ES256, key from Trustee) and resolved RESULT_KEY');

  ctx.step('pod VM: the job decrypts in memory, joins in DuckDB and encrypts the aggregate');
  const { parseDataKey } = await import('../../src/data/index.js');
  const key = (f: string) => parseDataKey(readFileSync(join(keysDir, f)))!;
  const out = join(ctx.blobDir, 'aggregate.json.enc');
  const result = await runAnalyticsJob({
    datasets: [
      { table: 'transactions', source: `${ctx.blobUrl}/bank.csv.enc`, key: key('party-a.key') },
      { table: 'customers', source: `${ctx.blobUrl}/retailer.csv.enc`, key: key('party-b.key') },
    ],
    resultKey: parseDataKey(resultKey)!,
    out,
    log: (l) => ctx.ok(l),
  });

  ctx.step('data owners decrypt the result with the result key');
  await cli('coco data decrypt', () => dataCli(['decrypt', '--key', resultKeyFile, '--in', out, '--out', join(owners, 'aggregate.json')]));
  const opened = JSON.parse(readFileSync(join(owners, 'aggregate.json'), 'utf8')) as JobResult;
  if (JSON.stringify(opened) !== JSON.stringify(result)) throw new Error('decrypted aggregate differs from what the job computed');
  for (const g of opened.groups.slice(0, 4)) ctx.ok(`${g.region}/${g.segment}: ${g.customers} customers, ${g.transactions} transactions, total ${g.total_amount}`);
  return opened;
}

/** Workload 2: KServe-style serving of an encrypted model. */
export async function runModelWorkload(ctx: Ctx, guest: DemoGuest): Promise<{ sha256: string; prediction: number }> {
  ctx.step('Workload 2 — model serving with an encrypted model (KServe storage initializer)');
  const model = { kind: 'logistic-regression', features: ['amount', 'foreign', 'night'], weights: [0.004, 1.7, 0.9], bias: -3.2 };
  const dir = join(ctx.work, 'model-owner');
  mkdirSync(dir, { recursive: true });
  const plain = Buffer.from(JSON.stringify(model));
  writeFileSync(join(dir, 'model.json'), plain);
  const sha256 = createHash('sha256').update(plain).digest('hex');
  await cli('coco key create', () => keyCli(['create', '--kbs', ctx.kbsUrl, '--id', 'default/models/fraud-detector', '--out', join(dir, 'model.key'), '--token-file', ctx.adminTokenFile]));
  await cli('coco data encrypt', () =>
    dataCli(['encrypt', '--key', join(dir, 'model.key'), '--key-id', 'kbs:///default/models/fraud-detector', '--in', join(dir, 'model.json'), '--out', join(ctx.blobDir, 'model.json.enc')]),
  );
  ctx.ok(`model owner: key in Trustee, model encrypted to the blob store (sha256 ${sha256.slice(0, 16)}…)`);

  ctx.step('pod VM: storage initializer `coco guest model-fetch coco+http://…/model.json.enc /mnt/models`');
  const modelDir = join(ctx.work, 'mnt-models');
  await cli('coco guest model-fetch', () => modelFetchCli([`coco+${ctx.blobUrl}/model.json.enc`, modelDir, '--api', guest.apiUrl, '--sha256', sha256]));
  const served = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as typeof model;
  const x = [820, 1, 1];
  const z = served.bias + served.weights.reduce((s, w, i) => s + w * x[i]!, 0);
  const prediction = 1 / (1 + Math.exp(-z));
  ctx.ok(`model decrypted into /mnt/models and verified; serving runtime scores a transaction: fraud probability ${prediction.toFixed(3)}`);
  return { sha256, prediction };
}
