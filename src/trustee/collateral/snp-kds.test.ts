import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Unavailable } from '../../core/index.js';
import { fixtureJson } from '../../../test/support/fixtures.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { createVerifier, type SnpVekQuery } from '../../verifier/index.js';
import { kdsVcekUrl, snpKdsVekSource } from './snp-kds.js';

type Ev = { attestation_report: { chip_id: number[] }; cert_chain: Array<{ data: number[] }> };
const genoa = fixtureJson<Ev>('snp/genoa-evidence.json');
const vcek = new Uint8Array(genoa.cert_chain[0]!.data);
const query: SnpVekQuery = { generation: 'Genoa', chipId: new Uint8Array(genoa.attestation_report.chip_id), tcb: { bootloader: 10, tee: 0, snp: 23, microcode: 25 } };
const skip = requireTools('openssl');

/** A local stand-in for kdsintf.amd.com: answers `plan` in order, then 200 with the VCEK. */
let server: Server;
let base = '';
let ca = '';
let seen: string[] = [];
let plan: Array<{ status: number; retryAfter?: string }> = [];
let dir = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'coco-kds-'));
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
    seen.push(req.url ?? '');
    const step = plan.shift();
    if (step) {
      res.writeHead(step.status, step.retryAfter === undefined ? {} : { 'retry-after': step.retryAfter });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(vcek);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kdsVcekUrl', () => {
  test('builds the KDS path with two-digit SPLs, FMC first on Turin', () => {
    assert.match(kdsVcekUrl('https://kds', query), /^https:\/\/kds\/vcek\/v1\/Genoa\/371c55d6[0-9a-f]{120}\?blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=25$/);
    const turin = kdsVcekUrl('https://kds', { ...query, generation: 'Turin', tcb: { ...query.tcb, fmc: 1 } });
    assert.match(turin, /\/Turin\/371c55d6d15cb50f\?fmcSPL=01&blSPL=10/);
  });
});

describe('snpKdsVekSource', { skip }, () => {
  test('fetches over HTTPS, backs off on 429 (Retry-After, then exponential) and caches the VCEK', async () => {
    seen = [];
    plan = [{ status: 429, retryAfter: '2' }, { status: 429 }];
    const waits: number[] = [];
    const src = snpKdsVekSource({ baseUrl: base, ca, backoffMs: 100, sleep: async (ms) => void waits.push(ms) });
    assert.deepEqual(await src.getVek(query), vcek);
    assert.deepEqual(waits, [2000, 200]);
    assert.equal(seen.length, 3);
    assert.equal(seen[0], new URL(kdsVcekUrl(base, query)).pathname + new URL(kdsVcekUrl(base, query)).search);
    assert.deepEqual(await src.getVek(query), vcek);
    assert.equal(seen.length, 3, 'the second lookup is served from the cache');
    assert.equal(src.cacheSize, 1);
  });

  test('shares one request between concurrent lookups', async () => {
    seen = [];
    const src = snpKdsVekSource({ baseUrl: base, ca });
    const [a, b] = await Promise.all([src.getVek(query), src.getVek(query)]);
    assert.deepEqual(a, b);
    assert.equal(seen.length, 1);
  });

  test('gives up with Unavailable after the retries, answers undefined on 404, and never asks for a masked chip', async () => {
    plan = [{ status: 429 }, { status: 429 }, { status: 429 }];
    const src = snpKdsVekSource({ baseUrl: base, ca, maxRetries: 2, sleep: async () => {} });
    await assert.rejects(src.getVek(query), Unavailable);
    plan = [{ status: 404 }];
    assert.equal(await snpKdsVekSource({ baseUrl: base, ca }).getVek(query), undefined);
    seen = [];
    assert.equal(await src.getVek({ ...query, chipId: new Uint8Array(64) }), undefined);
    assert.equal(seen.length, 0);
  });

  test('refuses a server whose certificate it does not trust', async () => {
    await assert.rejects(snpKdsVekSource({ baseUrl: base, maxRetries: 0 }).getVek(query), Unavailable);
  });

  test('feeds the SNP verifier when the evidence has no certificate table', async () => {
    const v = createVerifier('snp', { snpVek: snpKdsVekSource({ baseUrl: base, ca }) });
    const r = await v.evaluate({ ...genoa, cert_chain: null }, {}, new Date('2026-01-01T00:00:00Z'));
    assert.equal(r.claims.reported_tcb_snp, 23);
  });
});
