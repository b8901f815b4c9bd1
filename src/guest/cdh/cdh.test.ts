import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FakeKbs } from '../../../test/support/fake-kbs.js';
import { fixtureJson } from '../../../test/support/fixtures.js';
import { toBase64Url, utf8 } from '../../core/index.js';
import { SEALED_SECRET_VERSION, createKbsEnvelope, secretPayloadJson, signSealedSecret, signingKeyFromJwk, type VaultSecret } from '../../protocol/index.js';
import { sampleAttester } from '../attester/sample.js';
import { KbsClient } from '../kbs-client/client.js';
import { instantRetry } from '../kbs-client/retry.js';
import { ConfidentialDataHub, checkCredentialPath } from './resource.js';

const signJwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key.json');
const wrongJwk = fixtureJson<Record<string, unknown>>('guest/sealed-secret/test-key-2.json');
const { d: _d, ...publicJwk } = signJwk;
const key = signingKeyFromJwk(signJwk);
const wrongKey = signingKeyFromJwk(wrongJwk);
const kek = new Uint8Array(randomBytes(32));
const tmp = mkdtempSync(join(tmpdir(), 'coco-cdh-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function hub(extra: Partial<ConstructorParameters<typeof ConfidentialDataHub>[0]> = {}) {
  const kbs = new FakeKbs({
    resources: {
      'default/sealed-keys/test-key': utf8(JSON.stringify(publicJwk)),
      'default/sealed/one': utf8('vault secret'),
      'default/kek/1': kek,
      'default/cred/aws': utf8('{"access_key_id":"x"}'),
    },
  });
  const client = new KbsClient({ kbsUrl: 'http://kbs', fetch: kbs.fetch, attester: sampleAttester(), retry: instantRetry() });
  return { kbs, cdh: new ConfidentialDataHub({ kbs: client, ...extra }) };
}

const vault: VaultSecret = { version: SEALED_SECRET_VERSION, type: 'vault', name: 'kbs:///default/sealed/one', provider: 'kbs', provider_settings: {}, annotations: {} };
const KID = 'kbs:///default/sealed-keys/test-key';

describe('ConfidentialDataHub.unsealSecret', () => {
  test('unseals a vault secret held in KBS, verifying with the key fetched by kid', async () => {
    assert.deepEqual(await hub().cdh.unsealSecret(signSealedSecret(vault, key, KID)), utf8('vault secret'));
  });

  for (const wrap of ['A256GCM', 'A256CTR'] as const) {
    test(`unseals a ${wrap} envelope whose data key is wrapped by a KBS-held KEK`, async () => {
      const env = createKbsEnvelope(utf8('envelope secret'), 'kbs:///default/kek/1', kek, wrap);
      assert.deepEqual(await hub().cdh.unsealSecret(signSealedSecret(env, key, KID)), utf8('envelope secret'));
    });
  }

  test('refuses a secret signed by the wrong key', async () => {
    await assert.rejects(hub().cdh.unsealSecret(signSealedSecret(vault, wrongKey, KID)), { check: 'sealed_secret.signature' });
  });

  test('refuses a tampered payload', async () => {
    const [pre, h, , s] = signSealedSecret(vault, key, KID).split('.');
    const evil = toBase64Url(utf8(JSON.stringify({ ...secretPayloadJson(vault), name: 'kbs:///default/kek/1' })));
    await assert.rejects(hub().cdh.unsealSecret(`${pre}.${h}.${evil}.${s}`), { check: 'sealed_secret.signature' });
  });

  test('refuses an envelope whose data was altered after sealing, even when re-signed', async () => {
    const env = createKbsEnvelope(utf8('envelope secret'), 'kbs:///default/kek/1', new Uint8Array(32), 'A256GCM');
    await assert.rejects(hub().cdh.unsealSecret(signSealedSecret(env, key, KID)), { check: 'sealed_secret.envelope.key_unwrap' });
  });

  test('refuses an unknown kid, in KBS and as a local file', async () => {
    const { cdh, kbs } = hub({ sealedSecretKeyDir: tmp });
    await assert.rejects(cdh.unsealSecret(signSealedSecret(vault, key, 'kbs:///default/sealed-keys/nope')), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(cdh.unsealSecret(signSealedSecret(vault, key, 'nope')), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(cdh.unsealSecret(signSealedSecret(vault, key, '../etc/passwd')), { where: 'sealed-secret.header.kid' });
    assert.equal(kbs.requests.filter((r) => r.path.includes('sealed/one')).length, 0, 'nothing released before verification');
  });

  test('verifies with a local key file named by kid', async () => {
    writeFileSync(join(tmp, 'test-key'), JSON.stringify(publicJwk));
    assert.deepEqual(await hub({ sealedSecretKeyDir: tmp }).cdh.unsealSecret(signSealedSecret(vault, key, 'test-key')), utf8('vault secret'));
  });

  test('accepts the legacy unsigned form only when verification is skipped', async () => {
    const legacy = `sealed.fakejwsheader.${toBase64Url(utf8(JSON.stringify(secretPayloadJson(vault))))}.fakesignature`;
    assert.deepEqual(await hub({ skipSealedSecretVerification: true }).cdh.unsealSecret(legacy), utf8('vault secret'));
    await assert.rejects(hub().cdh.unsealSecret(legacy), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('refuses providers other than kbs', async () => {
    await assert.rejects(hub().cdh.unsealSecret(signSealedSecret({ ...vault, provider: 'aliyun' }, key, KID)), { code: 'ERR_UNSUPPORTED' });
  });
});

describe('ConfidentialDataHub.provisionCredentials', () => {
  test('writes each credential atomically with mode 0600 under the credentials root', async () => {
    const root = join(tmp, 'cdh-kbs');
    const path = join(root, 'kms-credential/aws/credential.json');
    const { cdh } = hub({ credentials: [{ resourceUri: 'kbs:///default/cred/aws', path }], credentialsRoot: root });
    assert.deepEqual(await cdh.provisionCredentials(), [path]);
    assert.equal(readFileSync(path, 'utf8'), '{"access_key_id":"x"}');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(root, 'kms-credential/aws')), ['credential.json']);
  });

  test('refuses credential paths outside the root or with dot segments', () => {
    assert.throws(() => checkCredentialPath('/etc/shadow'), { code: 'ERR_CONFIG' });
    assert.throws(() => checkCredentialPath('/run/confidential-containers/cdh/kbs/../x'), { code: 'ERR_CONFIG' });
    assert.throws(() => checkCredentialPath('relative/path'), { code: 'ERR_CONFIG' });
    assert.throws(() => checkCredentialPath('/run/confidential-containers/cdh/kbs'), { code: 'ERR_CONFIG' });
    assert.equal(checkCredentialPath('/run/confidential-containers/cdh/kbs/a/b.json'), '/run/confidential-containers/cdh/kbs/a/b.json');
  });
});
