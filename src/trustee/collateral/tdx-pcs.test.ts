import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Unavailable, VerificationFailed } from '../../core/index.js';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_TCB_SIGNING_PEM, createVerifier, encodeTdxEvidence } from '../../verifier/index.js';
import { fixture, fixtureText } from '../../../test/support/fixtures.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { pcsTdxCollateral } from './tdx-pcs.js';

const skip = requireTools('openssl');
const AS_OF = new Date('2025-11-01T00:00:00Z');

describe('pcsTdxCollateral', { skip }, () => {
  let dir = '';
  let server: Server;
  let base = '';
  let cert = '';
  const hits: string[] = [];
  let failNext = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tdx-pcs-'));
    const r = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1'],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // A PCCS-shaped server: the real fixture collateral, issuer chains URL-encoded in headers.
    const chain = encodeURIComponent(`${INTEL_TCB_SIGNING_PEM.trim()}\n${INTEL_SGX_ROOT_CA_PEM.trim()}\n`);
    const rootOnly = encodeURIComponent(INTEL_SGX_ROOT_CA_PEM.trim());
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      hits.push(`${url.pathname}${url.search}`);
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      if (url.pathname === '/tdx/certification/v4/tcb') {
        if (url.searchParams.get('fmspc') !== '00A06D080000') return void res.writeHead(404).end();
        const issuer = url.searchParams.get('update') === 'standard' ? rootOnly : chain;
        res.writeHead(200, { 'content-type': 'application/json', 'TCB-Info-Issuer-Chain': issuer }).end(fixtureText('tdx/tcbInfo.json'));
      } else if (url.pathname === '/tdx/certification/v4/qe/identity') {
        res.writeHead(200, { 'content-type': 'application/json', 'SGX-Enclave-Identity-Issuer-Chain': chain }).end(fixtureText('tdx/enclaveIdentity.json'));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('fetches TCB info and QE identity with their URL-encoded issuer chains', async () => {
    const pcs = pcsTdxCollateral({ baseUrl: base, ca: cert });
    const c = await pcs.getCollateral('00a06d080000', 'platform');
    assert.equal(c?.tcbInfo, fixtureText('tdx/tcbInfo.json'));
    assert.ok(c?.tcbInfoIssuerChain.startsWith('-----BEGIN CERTIFICATE-----'));
    assert.ok(hits.includes('/tdx/certification/v4/tcb?fmspc=00A06D080000&update=early'));
    assert.ok(hits.some((h) => h.startsWith('/sgx/certification/v4/pckcrl?ca=platform')));
  });

  test('serves repeated lookups from its cache until the TTL passes', async () => {
    let t = 0;
    const pcs = pcsTdxCollateral({ baseUrl: base, ca: cert, crls: false, now: () => t, ttlMs: 1000 });
    const before = hits.length;
    await pcs.getCollateral('00a06d080000', 'platform');
    await pcs.getCollateral('00A06D080000', 'platform');
    assert.equal(hits.length - before, 2, 'one TCB info and one QE identity request');
    t = 2000;
    await pcs.getCollateral('00a06d080000', 'platform');
    assert.equal(hits.length - before, 4);
  });

  test('resolves to undefined for an FMSPC the service does not know', async () => {
    assert.equal(await pcsTdxCollateral({ baseUrl: base, ca: cert }).getCollateral('50806f000000', 'platform'), undefined);
  });

  test('throws Unavailable on a server error and does not cache the failure', async () => {
    const pcs = pcsTdxCollateral({ baseUrl: base, ca: cert, crls: false });
    failNext = 1;
    await assert.rejects(pcs.getCollateral('00a06d080000', 'platform'), Unavailable);
    assert.ok(await pcs.getCollateral('00a06d080000', 'platform'));
  });

  test('refuses a server whose certificate is not trusted', async () => {
    await assert.rejects(pcsTdxCollateral({ baseUrl: base }).getCollateral('00a06d080000', 'platform'), Unavailable);
  });

  test('feeds the tdx verifier end to end (tdx_quote_6 as of a date inside the collateral window)', async () => {
    const v = createVerifier('tdx', { tdxCollateral: pcsTdxCollateral({ baseUrl: base, ca: cert }) });
    const r = await v.evaluate(encodeTdxEvidence(fixture('tdx/tdx_quote_6.dat')), {}, AS_OF);
    assert.equal(r.claims.tcb_status, 'OutOfDate');
  });

  test('refuses collateral whose issuer chain names the root as the signer (tdx.tcb_signing.chain)', async () => {
    const v = createVerifier('tdx', { tdxCollateral: pcsTdxCollateral({ baseUrl: base, ca: cert, update: 'standard' }) });
    await assert.rejects(v.evaluate(encodeTdxEvidence(fixture('tdx/tdx_quote_6.dat')), {}, AS_OF), (e: unknown) => e instanceof VerificationFailed && e.check === 'tdx.tcb_signing.chain');
  });
});
