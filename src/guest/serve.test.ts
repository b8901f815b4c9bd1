import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeKbs } from '../../test/support/fake-kbs.js';
import { fromBase64, utf8 } from '../core/index.js';
import type { GuestConfig } from './config.js';
import { instantRetry } from './kbs-client/retry.js';
import { runGuestServe } from './serve.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const cfg: GuestConfig = {
  kbsUrl: 'http://kbs.test',
  kbsCaPem: undefined,
  attester: 'sample',
  tpm: undefined,
  initDataToml: undefined,
  teeKeyAlgorithm: 'ECDH-ES+A256KW-P256',
  skipSealedSecretVerification: false,
  credentials: [{ resourceUri: 'kbs:///default/cred/one', path: join(dir, 'creds/one.json') }],
  eventlog: { enabled: true, initPcr: 17 },
  listen: { host: '127.0.0.1', port: 0 },
  features: 'all',
};

describe('runGuestServe', () => {
  test('provisions credentials and serves resources, tokens, evidence and AAEL over loopback HTTP', async () => {
    const kbs = new FakeKbs({ resources: { 'default/key/1': utf8('value'), 'default/cred/one': utf8('{"c":1}') } });
    const g = await runGuestServe(cfg, { fetch: kbs.fetch, retry: instantRetry(), credentialsRoot: dir });
    try {
      assert.equal(readFileSync(join(dir, 'creds/one.json'), 'utf8'), '{"c":1}');
      const res = await fetch(`${g.url}/cdh/resource/default/key/1`);
      assert.equal(await res.text(), 'value');
      const tok = (await (await fetch(`${g.url}/aa/token?token_type=kbs`)).json()) as { token: string; tee_keypair: string };
      assert.equal(tok.token.split('.').length, 3);
      assert.match(tok.tee_keypair, /PRIVATE KEY/);
      const ev = (await (await fetch(`${g.url}/aa/evidence?runtime_data=hello`)).json()) as { svn: string; report_data: string };
      assert.deepEqual(fromBase64(ev.report_data), utf8('hello'));
      const info = (await (await fetch(`${g.url}/info`)).json()) as { tee: string };
      assert.equal(info.tee, 'sample');
      const aael = await fetch(`${g.url}/aa/aael`, { method: 'POST', body: JSON.stringify({ domain: 'github.com/confidential-containers', operation: 'PullImage', content: '{"image":"x"}' }) });
      assert.deepEqual(await aael.json(), { success: 'true' });
      assert.ok(g.guest.measurer.log().length > 0);
    } finally {
      await g.close();
    }
  });
});
