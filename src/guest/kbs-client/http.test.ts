import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { describe, test } from 'node:test';
import { FakeKbs } from '../../../test/support/fake-kbs.js';
import { requireTools } from '../../../test/support/system-tools.js';
import { makeTestCa } from '../../../test/support/test-ca.js';
import { utf8 } from '../../core/index.js';
import { sampleAttester } from '../attester/sample.js';
import { KbsClient } from './client.js';
import { nodeFetch } from './http.js';
import { instantRetry } from './retry.js';

describe('nodeFetch', () => {
  test('talks HTTPS to a KBS whose certificate chains to the pinned CA, and refuses it without the pin', { skip: requireTools('openssl') }, async () => {
    const ca = makeTestCa();
    const kbs = new FakeKbs({ resources: { 'a/b/c': utf8('over tls') } });
    const server = createServer({ cert: ca.certPem, key: ca.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        void kbs.handle({ method: req.method!, path: req.url!, headers, body: Buffer.concat(chunks).toString() }).then(async (r) => {
          const h: Record<string, string> = {};
          r.headers.forEach((v, k) => (h[k] = v));
          res.writeHead(r.status, h).end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const pinned = new KbsClient({ kbsUrl: url, fetch: nodeFetch({ ca: ca.caPem }), attester: sampleAttester(), retry: instantRetry() });
      assert.deepEqual(await pinned.getResource('kbs:///a/b/c'), utf8('over tls'));
      const unpinned = new KbsClient({ kbsUrl: url, fetch: nodeFetch(), attester: sampleAttester(), retry: instantRetry({ rcarAttempts: 1 }) });
      await assert.rejects(unpinned.attest(), (e: any) => e.code === 'ERR_UNAVAILABLE' && /certificate/i.test(e.message));
      const wrongCa = makeTestCa();
      const other = new KbsClient({ kbsUrl: url, fetch: nodeFetch({ ca: wrongCa.caPem }), attester: sampleAttester(), retry: instantRetry({ rcarAttempts: 1 }) });
      await assert.rejects(other.attest(), { code: 'ERR_UNAVAILABLE' });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('refuses non-HTTP schemes and bounds the response body', async () => {
    await assert.rejects(nodeFetch()('ftp://x/y', { method: 'GET', headers: {} }), { code: 'ERR_UNAVAILABLE' });
    const kbs = new FakeKbs({ intercept: () => new Response('x'.repeat(5000), { status: 200 }) });
    const { url, close } = await kbs.listen();
    try {
      await assert.rejects(nodeFetch({ maxBodyBytes: 1000 })(`${url}/kbs/v0/auth`, { method: 'POST', headers: {}, body: '{}' }), { code: 'ERR_LIMIT_EXCEEDED' });
    } finally {
      await close();
    }
  });
});
