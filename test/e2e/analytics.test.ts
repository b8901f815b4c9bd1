/**
 * The confidential analytics example end to end on this machine: two parties encrypt their
 * datasets with their own keys, the job decrypts them in memory (one over HTTP), joins them in
 * DuckDB and writes only the encrypted aggregate, which matches an independent computation.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { VerificationFailed } from '../../src/core/index.js';
import { decryptBytes, encryptBytes } from '../../src/data/index.js';
import { parseCsv, toCsv, type Column, type Row } from '../../examples/analytics/csv.js';
import { CUSTOMER_COLUMNS, TRANSACTION_COLUMNS, generateDatasets } from '../../examples/analytics/datasets.js';
import { runAnalyticsJob } from '../../examples/analytics/job.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-analytics-'));
const keyA = new Uint8Array(randomBytes(32));
const keyB = new Uint8Array(randomBytes(32));
const resultKey = new Uint8Array(randomBytes(32));
const data = generateDatasets(300, 4000, 7);
let baseUrl = '';
const server = createServer((req, res) => {
  const file = join(dir, (req.url ?? '/').slice(1));
  if (!existsSync(file)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
});

before(async () => {
  writeFileSync(join(dir, 'tx.enc'), encryptBytes(new TextEncoder().encode(toCsv(TRANSACTION_COLUMNS, data.transactions)), keyA, { chunkSize: 4096, keyId: 'kbs:///default/analytics/party-a-key' }));
  writeFileSync(join(dir, 'cust.enc'), encryptBytes(new TextEncoder().encode(toCsv(CUSTOMER_COLUMNS, data.customers)), keyB, { chunkSize: 4096 }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${addr.port}`;
});
after(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The expected aggregate, computed in plain JS without DuckDB. */
function expected(k: number) {
  const profile = new Map(data.customers.map((r) => [r[0] as number, [r[1] as string, r[2] as string]]));
  const groups = new Map<string, { ids: Set<number>; n: number; sum: number }>();
  for (const [id, amount] of data.transactions as [number, number, string][]) {
    const p = profile.get(id);
    if (!p) continue;
    const g = groups.get(p.join('|')) ?? { ids: new Set(), n: 0, sum: 0 };
    g.ids.add(id);
    g.n++;
    g.sum += amount;
    groups.set(p.join('|'), g);
  }
  return [...groups.entries()]
    .filter(([, g]) => g.ids.size >= k)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, g]) => ({ key, customers: g.ids.size, transactions: g.n, total: Math.round(g.sum * 100) / 100 }));
}

describe('runAnalyticsJob', () => {
  test('joins two parties\' encrypted datasets and writes only the encrypted aggregate, which matches a plain computation', async () => {
    const out = join(dir, 'result.enc');
    const result = await runAnalyticsJob({
      datasets: [
        { table: 'transactions', source: `${baseUrl}/tx.enc`, key: keyA },
        { table: 'customers', source: join(dir, 'cust.enc'), key: keyB },
      ],
      resultKey,
      out,
      minGroupSize: 5,
    });
    const written = readFileSync(out);
    assert.ok(!written.includes(Buffer.from('region')), 'result file must be ciphertext');
    const decrypted = JSON.parse(new TextDecoder().decode(decryptBytes(written, resultKey)));
    assert.deepEqual(decrypted, JSON.parse(JSON.stringify(result)));
    assert.deepEqual(decrypted.inputs, { transactions: 4000, customers: 300 });
    const got = (decrypted.groups as { region: string; segment: string; customers: number; transactions: number; total_amount: number }[]).map((g) => ({
      key: `${g.region}|${g.segment}`,
      customers: g.customers,
      transactions: g.transactions,
      total: g.total_amount,
    }));
    const want = expected(5);
    assert.equal(got.length, want.length);
    got.forEach((g, i) => {
      assert.equal(g.key, want[i]!.key);
      assert.equal(g.customers, want[i]!.customers);
      assert.equal(g.transactions, want[i]!.transactions);
      assert.ok(Math.abs(g.total - want[i]!.total) < 0.011, `${g.key}: ${g.total} vs ${want[i]!.total}`);
    });
  });

  test('releases no group below the minimum group size', async () => {
    const out = join(dir, 'strict.enc');
    const r = await runAnalyticsJob({
      datasets: [
        { table: 'transactions', source: join(dir, 'tx.enc'), key: keyA },
        { table: 'customers', source: join(dir, 'cust.enc'), key: keyB },
      ],
      resultKey,
      out,
      minGroupSize: 1000,
    });
    assert.deepEqual(r.groups, []);
  });

  test('fails closed on a tampered dataset or a wrong key and writes no result', async () => {
    const tampered = readFileSync(join(dir, 'cust.enc'));
    tampered[tampered.length - 100] ^= 1;
    writeFileSync(join(dir, 'cust-bad.enc'), tampered);
    for (const [source, key] of [
      [join(dir, 'cust-bad.enc'), keyB],
      [join(dir, 'cust.enc'), keyA],
    ] as const) {
      const out = join(dir, `never-${randomBytes(4).toString('hex')}.enc`);
      await assert.rejects(
        runAnalyticsJob({ datasets: [{ table: 'transactions', source: join(dir, 'tx.enc'), key: keyA }, { table: 'customers', source, key }], resultKey, out }),
        VerificationFailed,
      );
      assert.ok(!existsSync(out));
    }
  });
});

describe('parseCsv', () => {
  const cols: Column[] = [
    { name: 'id', type: 'INTEGER' },
    { name: 'x', type: 'DOUBLE' },
    { name: 's', type: 'VARCHAR' },
  ];
  test('reads quoted fields with commas, quotes and newlines, and CRLF line ends', () => {
    assert.deepEqual(parseCsv('id,x,s\r\n1,2.5,"a, ""b""\nc"\r\n', cols), [[1, 2.5, 'a, "b"\nc']]);
  });
  test('rejects a wrong header, ragged rows, bad numbers and an unterminated quote', () => {
    assert.throws(() => parseCsv('id,y,s\n', cols), /header/);
    assert.throws(() => parseCsv('id,x,s\n1,2\n', cols), /fields/);
    assert.throws(() => parseCsv('id,x,s\n1.5,2,a\n', cols), /INTEGER/);
    assert.throws(() => parseCsv('id,x,s\n1,2,"a\n', cols), /unterminated/);
  });
  test('round-trips any rows through toCsv (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string()), { maxLength: 20 }), (rows) => {
        const clean: Row[] = rows.map(([a, b, c]) => [a, Object.is(b, -0) ? 0 : b, c]);
        assert.deepEqual(parseCsv(toCsv(cols, clean), cols), clean);
      }),
    );
  });
});
