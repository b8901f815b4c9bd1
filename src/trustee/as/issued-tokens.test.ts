import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { createCryptoThread, type PreparedRelease } from '../crypto-thread.js';
import { createEarSigner } from './ear-token.js';
import { IssuedTokens, RECENT_CLAIMS_MS } from './issued-tokens.js';
import { TokenVerifier } from './token-verifier.js';

const NOW = new Date('2026-11-23T08:00:00Z');
const nowS = NOW.getTime() / 1000;
const exp = nowS + 300;

describe('IssuedTokens', () => {
  test('recognises exactly the tokens it was given, until they expire', () => {
    const issued = new IssuedTokens();
    issued.add('a.b.c', exp);
    assert.equal(issued.has('a.b.c', nowS), true);
    assert.equal(issued.has('a.b.d', nowS), false);
    assert.equal(issued.has('a.b.c', exp + 1), false);
    assert.equal(issued.size, 0, 'an expired entry is dropped when it is looked up');
  });

  test('hands a prepared release out once, and only for exactly the token it was signed with, before it expires', () => {
    const issued = new IssuedTokens();
    const release = { point: new Uint8Array(65), handle: {} } as unknown as PreparedRelease;
    issued.add('h.p.sig1', exp, { exp }, undefined, release);
    issued.add('h.p.sig2', exp, { exp });
    assert.equal(issued.takeRelease('h.q.sig1', nowS), undefined, 'same signature segment, other token');
    assert.equal(issued.takeRelease('h.p.sig1', exp + 1), undefined, 'expired');
    assert.equal(issued.takeRelease('h.p.sig2', nowS), undefined, 'signed without one');
    assert.equal(issued.takeRelease('h.p.sig3', nowS), undefined, 'unknown');
    assert.equal(issued.takeRelease('h.p.sig1', nowS), release);
    assert.equal(issued.takeRelease('h.p.sig1', nowS), undefined, 'once');
    assert.deepEqual(issued.claimsOf('h.p.sig1', nowS), { exp }, 'the claims stay');
  });

  test('gives up a prepared release that leaves the memo unused, and only such a one', () => {
    const given: string[] = [];
    const releaseOf = (name: string) => ({ point: new Uint8Array(65), handle: name }) as unknown as PreparedRelease;
    const issued = new IssuedTokens(100, 2, (r) => given.push(r.handle as unknown as string));
    issued.add('h.p.s1', exp, { exp }, undefined, releaseOf('r1'));
    issued.add('h.p.s2', exp, { exp }, undefined, releaseOf('r2'));
    assert.ok(issued.takeRelease('h.p.s2', nowS));
    issued.add('h.p.s3', exp, { exp });
    assert.deepEqual(given, ['r1'], 'the oldest left unused');
    issued.add('h.p.s4', exp, { exp });
    assert.deepEqual(given, ['r1'], 'a release already taken is the taker\'s');
  });

  test('keeps at most its bound, forgetting the oldest first', () => {
    const issued = new IssuedTokens(3);
    for (const t of ['t1', 't2', 't3', 't4']) issued.add(t, exp);
    assert.equal(issued.size, 3);
    assert.equal(issued.has('t1', nowS), false);
    assert.equal(issued.has('t4', nowS), true);
  });

  test('no token that differs from a remembered one is recognised (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (token, other) => {
        const issued = new IssuedTokens();
        issued.add(token, exp);
        return other === token || !issued.has(other, nowS);
      }),
    );
  });
});

describe('TokenVerifier with the tokens our signer issued', () => {
  const issued = new IssuedTokens();
  const signer = createEarSigner({ issued });
  // No trusted keys at all: only the issued-token set can make our tokens acceptable here.
  const bare = new TokenVerifier({ issued });

  test('accepts a token our signer issued without any trusted key, in both verify paths', async () => {
    const token = await signer.sign({ exp, hello: 'world' });
    assert.equal(bare.verify(token, NOW).hello, 'world');
    assert.equal((await bare.verifyAsync(token, NOW)).hello, 'world');
    assert.throws(() => new TokenVerifier({}).verify(token, NOW), { check: 'token.x5c.missing' });
  });

  test('checks the signature of a token with one changed byte (it is not one we issued)', async () => {
    const token = await signer.sign({ exp, role: 'guest' });
    const [h, p, s] = token.split('.');
    const payload = Buffer.from(p!, 'base64url');
    payload[payload.length - 3] ^= 1;
    const forged = `${h}.${payload.toString('base64url')}.${s}`;
    const ours = new TokenVerifier({ issued, trustedKeys: [signer.publicKey] });
    assert.throws(() => ours.verify(forged, NOW), { check: 'token.signature' });
    await assert.rejects(ours.verifyAsync(forged, NOW), { check: 'token.signature' });
  });

  test('still applies exp and nbf to an issued token', async () => {
    const late = await signer.sign({ exp: nowS - 120 });
    assert.throws(() => bare.verify(late, NOW), { check: 'token.x5c.missing' }, 'an expired issued token is forgotten and then fully checked');
    const early = await signer.sign({ exp, nbf: nowS + 120 });
    assert.throws(() => bare.verify(early, NOW), { check: 'token.nbf' });
  });

  test('does not remember tokens without exp', async () => {
    const token = await signer.sign({ hello: 'x' });
    assert.throws(() => bare.verify(token, NOW), { check: 'token.x5c.missing' });
  });
});

describe('IssuedTokens.claimsOf', () => {
  test('returns the claims of exactly the newest tokens it was given, until they expire', () => {
    const issued = new IssuedTokens(8, 2);
    const claims = { exp, n: 1 };
    issued.add('h.p.s1', exp, claims);
    assert.equal(issued.claimsOf('h.p.s1', nowS), claims);
    assert.equal(issued.claimsOf('h.q.s1', nowS), undefined, 'same signature, other payload');
    assert.equal(issued.claimsOf('h.p.s1', exp + 1), undefined, 'expired');
    issued.add('h.p.s2', exp, { exp });
    issued.add('h.p.s3', exp, { exp });
    assert.equal(issued.claimsOf('h.p.s1', nowS), undefined, 'only the newest two are kept whole');
    assert.equal(issued.has('h.p.s1', nowS), true, 'the older one is still known by its digest');
  });

  test('keeps no claims for tokens added without them', () => {
    const issued = new IssuedTokens();
    issued.add('h.p.s', exp);
    assert.equal(issued.claimsOf('h.p.s', nowS), undefined);
    assert.equal(issued.has('h.p.s', nowS), true);
  });

  test('never returns claims for a token that differs from the one given (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (token, other) => {
        const issued = new IssuedTokens();
        issued.add(token, exp, { exp });
        return other === token ? issued.claimsOf(other, nowS) !== undefined : issued.claimsOf(other, nowS) === undefined;
      }),
    );
  });

  test('lets the verifier return the signed claims of a fresh token without parsing it, times still checked', async () => {
    const issued = new IssuedTokens();
    const signer = createEarSigner({ issued });
    const verifier = new TokenVerifier({ issued });
    const claims = { exp, nbf: nowS - 10, hello: 'world' };
    const token = await signer.sign(claims);
    assert.equal(verifier.verify(token, NOW), claims, 'the very object that was signed');
    assert.equal(await verifier.verifyAsync(token, NOW), claims);
    assert.deepEqual(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()), claims, 'and it is what the payload says');
    const early = await signer.sign({ exp, nbf: nowS + 600 });
    assert.throws(() => verifier.verify(early, NOW), { check: 'token.nbf' });
  });
});

describe('IssuedTokens claims kept for a short time only', () => {
  test('drops the claims of entries older than RECENT_CLAIMS_MS when the next token is added, keeping the token known and its release', () => {
    const clock = { ms: 1000 };
    const issued = new IssuedTokens(8, 4, undefined, () => clock.ms);
    const release = { point: new Uint8Array(65), handle: {} } as unknown as PreparedRelease;
    issued.add('h.p.s1', exp, { exp, n: 1 }, undefined, release);
    clock.ms += RECENT_CLAIMS_MS - 1;
    issued.add('h.p.s2', exp, { exp, n: 2 });
    assert.deepEqual(issued.claimsOf('h.p.s1', nowS), { exp, n: 1 }, 'still young enough');
    clock.ms += 1;
    issued.add('h.p.s3', exp, { exp, n: 3 });
    assert.equal(issued.claimsOf('h.p.s1', nowS), undefined, 'added RECENT_CLAIMS_MS ago: its claims are gone');
    assert.deepEqual(issued.claimsOf('h.p.s2', nowS), { exp, n: 2 });
    assert.equal(issued.has('h.p.s1', nowS), true, 'the token is still known by its digest');
    assert.equal(issued.takeRelease('h.p.s1', nowS), release, 'and its prepared release is still handed out');
  });

  test('drops the claims of the oldest entry when more tokens arrive within the time than it keeps', () => {
    const issued = new IssuedTokens(8, 2, undefined, () => 0);
    for (const n of [1, 2, 3]) issued.add(`h.p.s${n}`, exp, { exp, n });
    assert.equal(issued.claimsOf('h.p.s1', nowS), undefined);
    assert.deepEqual(issued.claimsOf('h.p.s3', nowS), { exp, n: 3 });
  });

  test('lets the verifier parse a token whose claims are gone: the same claims, times still checked', async () => {
    const clock = { ms: 0 };
    const issued = new IssuedTokens(8, 4, undefined, () => clock.ms);
    const signer = createEarSigner({ issued });
    const verifier = new TokenVerifier({ issued });
    const claims = { exp, hello: 'world' };
    const token = await signer.sign(claims);
    clock.ms += RECENT_CLAIMS_MS;
    await signer.sign({ exp, other: true });
    assert.equal(issued.claimsOf(token, nowS), undefined);
    const got = verifier.verify(token, NOW);
    assert.notEqual(got, claims, 'parsed from the token, not the memo');
    assert.deepEqual(got, claims);
    assert.throws(() => verifier.verify(token, new Date((exp + 60) * 1000)), { check: 'token.x5c.missing' }, 'expired: forgotten, then fully checked');
  });
});

describe('IssuedTokens keyed by the whole text', () => {
  test('does not recognise a token that reuses a remembered signature with another header or payload', () => {
    const issued = new IssuedTokens();
    issued.add('h.p.sig', exp);
    assert.equal(issued.has('h.p.sig', nowS), true);
    assert.equal(issued.has('h.q.sig', nowS), false);
    assert.equal(issued.has('sig', nowS), false);
    assert.equal(issued.has('x.h.p.sig', nowS), false);
  });
});

describe('createEarSigner on the crypto thread', () => {
  test('signs tokens on the worker thread that verify with the signer key alone', async () => {
    const thread = createCryptoThread({ busyAbove: 0 });
    try {
      const signer = createEarSigner({ thread });
      const verifier = new TokenVerifier({ trustedKeys: [signer.publicKey] });
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, i) => signer.sign({ exp, n: i })));
      tokens.forEach((t, i) => assert.equal(verifier.verify(t, NOW).n, i));
      assert.equal(thread.offloaded, 20);
    } finally {
      await thread.close();
    }
  });
});
