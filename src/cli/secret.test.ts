import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { VerificationFailed } from '../core/index.js';
import { parseSealedSecret, parseSecretPayload, parseSigningJwk, signingKeyFromJwk, verifySealedSecret } from '../protocol/index.js';
import { unsealSecret } from '../guest/cdh/sealed-secret.js';
import { fixtureJson, fixturePath } from '../../test/support/fixtures.js';
import { validateK8sObject } from '../../test/support/k8s-schema.js';
import { run } from './secret.js';

const dir = mkdtempSync(join(tmpdir(), 'coco-secret-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const p = (n: string) => join(dir, n);

async function capture(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const err = console.error;
  console.error = () => undefined;
  try {
    const code = await run(args, { write: (s) => out.push(typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) });
    return { code, out: out.join('') };
  } finally {
    console.error = err;
  }
}

/** A KBS stand-in for the CDH: resources by URI (the e2e demo uses the real Trustee). */
function kbsWith(resources: Record<string, Uint8Array | string>) {
  return {
    getResource: async (uri: string) => {
      const r = resources[uri];
      if (r === undefined) throw new Error(`no resource ${uri}`);
      return typeof r === 'string' ? new TextEncoder().encode(r) : r;
    },
  };
}

const KID = 'kbs:///default/sealed-secret-keys/test';
const signer = fixturePath('guest/sealed-secret/test-key.json');
const publicTestKey = JSON.stringify(parseSigningJwk(fixtureJson('guest/sealed-secret/test-key.json')));

describe('coco secret', () => {
  test('the shared sealed-secret fixtures parse: both payloads and both signing keys', () => {
    for (const f of ['vault-1.json', 'vault-2.json', 'envelope-1.json']) parseSecretPayload(fixtureJson(`guest/sealed-secret/${f}`));
    for (const f of ['test-key.json', 'test-key-2.json']) signingKeyFromJwk(fixtureJson(`guest/sealed-secret/${f}`));
  });

  test('keygen writes a usable P-256 key pair, the private half 0600', async () => {
    assert.equal((await capture(['keygen', '--kid', 'kbs:///default/sealed-secret-keys/mine', '--output-dir', dir])).code, 0);
    const priv = JSON.parse(readFileSync(p('default_sealed-secret-keys_mine-private.json'), 'utf8'));
    const pub = JSON.parse(readFileSync(p('default_sealed-secret-keys_mine-public.json'), 'utf8'));
    assert.equal(statSync(p('default_sealed-secret-keys_mine-private.json')).mode & 0o777, 0o600);
    assert.equal(pub.d, undefined);
    assert.deepEqual([priv.x, priv.y, priv.kid], [pub.x, pub.y, 'kbs:///default/sealed-secret-keys/mine']);
    signingKeyFromJwk(priv); // d matches x/y or Node refuses the key
    const { out } = await capture(['seal', 'vault', '--resource-uri', 'kbs:///a/b/c', '--signing-kid', 'k', '--signing-jwk-path', p('default_sealed-secret-keys_mine-private.json')]);
    verifySealedSecret(parseSealedSecret(out.trim()), parseSigningJwk(pub));
  });

  test('a vault secret sealed by the CLI unseals in the CDH to the resource it names', async () => {
    const { code, out } = await capture(['seal', 'vault', '--resource-uri', 'kbs:///default/analytics/result-key', '--signing-kid', KID, '--signing-jwk-path', signer]);
    assert.equal(code, 0);
    const sealed = out.trim();
    assert.match(sealed, /^sealed\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const kbs = kbsWith({ [KID]: publicTestKey, 'kbs:///default/analytics/result-key': 'the-result-key' });
    assert.equal(Buffer.from(await unsealSecret(sealed, { kbs })).toString(), 'the-result-key');
    const wrongKey = kbsWith({ [KID]: JSON.stringify(parseSigningJwk(fixtureJson('guest/sealed-secret/test-key-2.json'))) });
    await assert.rejects(unsealSecret(sealed, { kbs: wrongKey }), (e: unknown) => e instanceof VerificationFailed && e.check === 'sealed_secret.signature');
  });

  test('an envelope secret sealed by the CLI unseals in the CDH and offline with the KEK', async () => {
    const kek = randomBytes(32);
    writeFileSync(p('kek'), kek.toString('hex'));
    const { out } = await capture(['seal', 'envelope', '--key-id', 'kbs:///default/kek/1', '--kek-file', p('kek'), '--value', 'db-password: hunter2', '--signing-kid', KID, '--signing-jwk-path', signer]);
    const sealed = out.trim();
    const kbs = kbsWith({ [KID]: publicTestKey, 'kbs:///default/kek/1': kek });
    assert.equal(Buffer.from(await unsealSecret(sealed, { kbs })).toString(), 'db-password: hunter2');
    writeFileSync(p('pub.json'), publicTestKey);
    writeFileSync(p('sealed.txt'), sealed);
    assert.deepEqual(await capture(['unseal', '--in', p('sealed.txt'), '--jwk', p('pub.json'), '--kek-file', p('kek')]), { code: 0, out: 'db-password: hunter2' });
  });

  test('unseal refuses a tampered payload and a wrong verification key', async () => {
    const { out } = await capture(['seal', 'vault', '--resource-uri', 'kbs:///default/x/y', '--signing-kid', KID, '--signing-jwk-path', signer]);
    const [h, pl, s] = out.trim().slice('sealed.'.length).split('.');
    const forged = JSON.parse(Buffer.from(pl!, 'base64url').toString());
    forged.name = 'kbs:///default/x/other';
    const tampered = `sealed.${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`;
    writeFileSync(p('pub.json'), publicTestKey);
    assert.equal((await capture(['unseal', '--value', tampered, '--jwk', p('pub.json')])).code, 1);
    writeFileSync(p('pub2.json'), JSON.stringify(parseSigningJwk(fixtureJson('guest/sealed-secret/test-key-2.json'))));
    assert.equal((await capture(['unseal', '--value', out.trim(), '--jwk', p('pub2.json')])).code, 1);
    const ok = await capture(['unseal', '--value', out.trim(), '--jwk', p('pub.json')]);
    assert.equal(JSON.parse(ok.out).name, 'kbs:///default/x/y');
  });

  test('--k8s-secret emits a Secret manifest that is valid against the pinned schema', async () => {
    const { out } = await capture(['seal', 'vault', '--resource-uri', 'kbs:///default/a/b', '--signing-kid', KID, '--signing-jwk-path', signer, '--k8s-secret', 'app-secret', '--secret-key', 'token', '--namespace', 'demo']);
    const obj = parseYaml(out);
    assert.deepEqual(validateK8sObject(obj), []);
    assert.match(obj.stringData.token, /^sealed\./);
  });

  test('rejects bad usage and bad inputs', async () => {
    assert.equal((await capture(['seal', 'vault', '--resource-uri', 'not-a-uri', '--signing-kid', KID, '--signing-jwk-path', signer])).code, 1);
    assert.equal((await capture(['seal', 'vault', '--resource-uri', 'kbs:///a/b/c'])).code, 1);
    assert.equal((await capture(['seal', 'nope'])).code, 2);
    assert.equal((await capture(['seal', 'envelope', '--key-id', 'kbs:///a/b/c', '--kek-file', signer, '--value', 'x', '--signing-kid', KID, '--signing-jwk-path', signer])).code, 1);
  });
});
