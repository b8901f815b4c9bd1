import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { bearerKeyAdmin } from './bearer-key-admin.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const NOW = new Date('2026-11-23T08:00:00Z');
function token(claims: Record<string, unknown>, key = privateKey): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'EdDSA', typ: 'JWT' })}.${enc(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

describe('bearerKeyAdmin', () => {
  const admin = bearerKeyAdmin(publicKey, () => NOW);
  const exp = NOW.getTime() / 1000 + 60;
  test('accepts a live token from the key and names its subject', async () => {
    assert.equal((await admin.authorize('GET', '/kbs/v0/audit', { authorization: `Bearer ${token({ sub: 'ops', exp })}` })).name, 'ops');
  });
  test('refuses a missing, expired or foreign token with Unauthorized', async () => {
    await assert.rejects(admin.authorize('GET', '/', {}), { code: 'ERR_UNAUTHORIZED' });
    await assert.rejects(admin.authorize('GET', '/', { authorization: `Bearer ${token({ exp: exp - 600 })}` }), { code: 'ERR_UNAUTHORIZED' });
    const other = generateKeyPairSync('ed25519').privateKey;
    await assert.rejects(admin.authorize('GET', '/', { authorization: `Bearer ${token({ exp }, other)}` }), { code: 'ERR_UNAUTHORIZED' });
  });
});
