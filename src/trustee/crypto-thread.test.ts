import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { generateKeyPairSync, verify } from 'node:crypto';
import { flattenedDecrypt } from 'jose';
import { MalformedInput, Unsupported, decryptJwe, ecPointOf, fromUtf8, generateTeeKeyPair, p256NativeThread, utf8, type EcPublicJwk, type P256NativeThread } from '../core/index.js';
import { requireCryptoThread } from '../../test/support/native-addon.js';
import { startModuleWorker } from './worker-thread.js';
import { digestOf } from './as/issued-tokens.js';
import { createCryptoThread, es256Key, inlineCryptoThread, offloadNext, type CryptoThread, type CryptoThreadOptions } from './crypto-thread.js';

const KINDS = ['P-256', 'P-384', 'P-521', 'RSA'] as const;

/** Run `fn` with a crypto thread made from `options`, closing it afterwards. */
async function withThread(options: CryptoThreadOptions, fn: (thread: CryptoThread) => Promise<void>): Promise<void> {
  const thread = createCryptoThread(options);
  try {
    await fn(thread);
  } finally {
    await thread.close();
  }
}

describe('offloadNext', () => {
  test('starts offloading at busyAbove and stops only below idleBelow', () => {
    // Under steady load the loop is ~0.9 busy in place and ~0.6 with the work offloaded: it must stay offloaded.
    const trace = [0.3, 0.9, 0.6, 0.6, 0.45, 0.39, 0.6, 0.85];
    let offloading = false;
    const seen = trace.map((u) => (offloading = offloadNext(offloading, u, 0.8, 0.4)));
    assert.deepEqual(seen, [false, true, true, true, true, false, false, true]);
  });

  test('never offloads below idleBelow nor stays in place at busyAbove or more (property)', () => {
    for (let i = 0; i < 1000; i++) {
      const u = Math.random();
      const was = Math.random() < 0.5;
      const next = offloadNext(was, u, 0.8, 0.4);
      if (u < 0.4) assert.equal(next, false);
      if (u >= 0.8) assert.equal(next, true);
      if (u >= 0.4 && u < 0.8) assert.equal(next, was, 'in between, the mode is kept');
    }
  });
});

describe('createCryptoThread: seal', () => {
  test('encrypts on the worker thread, for jose and for decryptJwe, with every key type', async () => {
    await withThread({ busyAbove: 0 }, async (sealer) => {
      for (const kind of KINDS) {
        const { privateKey, jwk } = generateTeeKeyPair(kind);
        const jwe = await sealer.seal(utf8(`secret for ${kind}`), jwk);
        assert.equal(fromUtf8(decryptJwe(jwe, privateKey)), `secret for ${kind}`);
        const { plaintext } = await flattenedDecrypt(jwe, privateKey);
        assert.equal(fromUtf8(plaintext), `secret for ${kind}`);
      }
      // The three EC releases went through the worker; the RSA one stayed on this thread.
      assert.equal(sealer.offloaded, 3);
    });
  });

  test('sends the jobs started together in one message and answers each of them', async () => {
    let messages = 0;
    const spawn = () => {
      const w = startModuleWorker(new URL('./crypto-thread-worker.ts', import.meta.url));
      const post = w.postMessage.bind(w);
      w.postMessage = (m: unknown) => (messages++, post(m));
      return w;
    };
    await withThread({ busyAbove: 0, spawn }, async (sealer) => {
      const { privateKey, jwk } = generateTeeKeyPair('P-256');
      const key = es256Key(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
      const [a, b, s] = await Promise.all([sealer.seal(utf8('a'), jwk), sealer.seal(utf8('b'), jwk), sealer.signEs256(utf8('in'), key)]);
      assert.equal(fromUtf8(decryptJwe(a, privateKey)), 'a');
      assert.equal(fromUtf8(decryptJwe(b, privateKey)), 'b');
      assert.equal(s.length, 64);
      assert.equal(messages, 1);
      assert.equal(sealer.offloaded, 3);
    });
  });

  test('answers many concurrent releases, each with its own recipient', async () => {
    await withThread({ busyAbove: 0 }, async (sealer) => {
      const keys = Array.from({ length: 8 }, () => generateTeeKeyPair('P-256'));
      const jwes = await Promise.all(Array.from({ length: 200 }, (_, i) => sealer.seal(utf8(`#${i}`), keys[i % 8]!.jwk)));
      jwes.forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, keys[i % 8]!.privateKey)), `#${i}`));
      assert.equal(sealer.offloaded, 200);
    });
  });

  test('gives the errors of encryptJwe: a point off the curve is MalformedInput, RSA1_5 is Unsupported', async () => {
    await withThread({ busyAbove: 0 }, async (sealer) => {
      const { jwk } = generateTeeKeyPair('P-256');
      const ec = jwk as EcPublicJwk;
      const y = Buffer.from(ec.y, 'base64url');
      y[5]! ^= 1;
      await assert.rejects(sealer.seal(utf8('x'), { ...ec, y: y.toString('base64url') }), MalformedInput);
      const rsa = generateTeeKeyPair('RSA').jwk;
      await assert.rejects(sealer.seal(utf8('x'), { ...rsa, alg: 'RSA1_5' }), Unsupported);
      assert.equal(sealer.offloaded, 0);
    });
  });

  test('encrypts in place while the event loop is not busy', async () => {
    await withThread({ busyAbove: 1.01 }, async (sealer) => {
      const { privateKey, jwk } = generateTeeKeyPair('P-256');
      assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('idle'), jwk), privateKey)), 'idle');
      assert.equal(sealer.offloaded, 0);
    });
  });

  test('starts offloading once the sampled event-loop utilisation is high', async () => {
    await withThread({ busyAbove: 0.5, sampleMs: 20 }, async (sealer) => {
      const { privateKey, jwk } = generateTeeKeyPair('P-256');
      await sealer.seal(utf8('idle'), jwk);
      assert.equal(sealer.offloaded, 0);
      // Keep the loop busy for a few sampling periods, letting the sampler's timer run in between.
      for (let i = 0; i < 10; i++) {
        const until = performance.now() + 15;
        while (performance.now() < until);
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('busy'), jwk), privateKey)), 'busy');
      assert.equal(sealer.offloaded, 1);
    });
  });

  test('encrypts in place when its worker cannot start or dies, losing no release', async () => {
    for (const script of ['throw new Error("no worker here")', 'process.exit(3)']) {
      const sealer = createCryptoThread({ busyAbove: 0, spawn: () => new Worker(script, { eval: true }) });
      try {
        const { privateKey, jwk } = generateTeeKeyPair('P-256');
        const jwes = await Promise.all(Array.from({ length: 5 }, (_, i) => sealer.seal(utf8(`r${i}`), jwk)));
        jwes.forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, privateKey)), `r${i}`));
        assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('after'), jwk), privateKey)), 'after');
        assert.equal(sealer.offloaded, 0);
      } finally {
        await sealer.close();
      }
    }
  });

  test('prestart starts the worker once, before any job, and the jobs then use that worker', async () => {
    let spawned = 0;
    const spawn = () => (spawned++, startModuleWorker(new URL('./crypto-thread-worker.ts', import.meta.url)));
    await withThread({ busyAbove: 0, spawn }, async (sealer) => {
      sealer.prestart();
      sealer.prestart();
      assert.equal(spawned, 1);
      const { privateKey, jwk } = generateTeeKeyPair('P-256');
      assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('warm'), jwk), privateKey)), 'warm');
      assert.equal(spawned, 1);
      assert.equal(sealer.offloaded, 1);
    });
    // In place, there is nothing to start.
    inlineCryptoThread().prestart();
  });

  test('finishes releases still pending when closed', async () => {
    const sealer = createCryptoThread({ busyAbove: 0 });
    const { privateKey, jwk } = generateTeeKeyPair('P-384');
    const pending = Array.from({ length: 20 }, (_, i) => sealer.seal(utf8(`c${i}`), jwk));
    await sealer.close();
    (await Promise.all(pending)).forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, privateKey)), `c${i}`));
  });
});

describe('createCryptoThread: signEs256', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = es256Key(privateKey);
  const valid = (input: Uint8Array, sig: Uint8Array) => verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);

  test('signs on the worker thread; the signatures verify and differ from each other', async () => {
    await withThread({ busyAbove: 0 }, async (thread) => {
      const inputs = Array.from({ length: 50 }, (_, i) => utf8(`header.payload-${i}`));
      const sigs = await Promise.all(inputs.map((input) => thread.signEs256(input, key)));
      sigs.forEach((sig, i) => {
        assert.equal(sig.length, 64);
        assert.ok(valid(inputs[i]!, sig), `signature ${i}`);
        assert.ok(!valid(utf8(`header.payload-${i}x`), sig), 'a signature covers exactly its input');
      });
      assert.equal(thread.offloaded, 50);
    });
  });

  test('signs with each key it is given, on the worker thread too', async () => {
    await withThread({ busyAbove: 0 }, async (thread) => {
      const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const input = utf8('same input');
      const [a, b] = await Promise.all([thread.signEs256(input, key), thread.signEs256(input, es256Key(other.privateKey))]);
      assert.ok(valid(input, a!));
      assert.ok(verify('sha256', input, { key: other.publicKey, dsaEncoding: 'ieee-p1363' }, b!));
      assert.ok(!valid(input, b!));
    });
  });

  test('signs in place while idle and when its worker dies', async () => {
    const idle = createCryptoThread({ busyAbove: 1.01 });
    const broken = createCryptoThread({ busyAbove: 0, spawn: () => new Worker('process.exit(2)', { eval: true }) });
    try {
      for (const thread of [idle, broken]) {
        const input = utf8('in place');
        const sigs = await Promise.all([1, 2, 3].map(() => thread.signEs256(input, key)));
        for (const sig of sigs) assert.ok(valid(input, sig));
        assert.equal(thread.offloaded, 0);
      }
    } finally {
      await idle.close();
      await broken.close();
    }
  });
});

describe('createCryptoThread: the native crypto thread', { skip: requireCryptoThread() }, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const key = es256Key(privateKey);
  /** The addon's thread, counting the jobs it is given; `broken` makes every call throw as a thread that cannot start does. */
  const spy = (broken = false) => {
    const real = p256NativeThread()!;
    const calls = { seal: 0, sign: 0, jws: 0, keys: 0, prepared: 0, discarded: 0 };
    const fail = () => {
      throw new Error('the crypto thread could not start');
    };
    const native: P256NativeThread = {
      sealJweAsync: (point, pt) => (calls.seal++, broken ? fail() : real.sealJweAsync(point, pt)),
      signingKey: (pkcs8) => (calls.keys++, real.signingKey(pkcs8)),
      signEs256Async: (k, input) => (calls.sign++, broken ? fail() : real.signEs256Async(k, input)),
      signJwsAsync: (k, input, releaseTo) => (calls.jws++, broken ? fail() : real.signJwsAsync(k, input, releaseTo)),
      sealPrepared: (release, pt) => (calls.prepared++, real.sealPrepared(release, pt)),
      discardPrepared: (release) => (calls.discarded++, real.discardPrepared(release)),
    };
    return { native, calls };
  };

  test('takes P-256 releases and signatures (importing each key once); P-384 and P-521 releases go to the worker', async () => {
    const { native, calls } = spy();
    await withThread({ busyAbove: 0, native }, async (thread) => {
      for (const kind of KINDS) {
        const tee = generateTeeKeyPair(kind);
        assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8(kind), tee.jwk), tee.privateKey)), kind);
      }
      const sigs = await Promise.all([1, 2, 3].map((i) => thread.signEs256(utf8(`in ${i}`), key)));
      sigs.forEach((sig, i) => assert.ok(verify('sha256', utf8(`in ${i + 1}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)));
      const { token: jws, digest } = await thread.signJws(utf8('aGVhZGVy.cGF5bG9hZA'), key);
      assert.equal(digest, digestOf(jws));
      assert.ok(jws.startsWith('aGVhZGVy.cGF5bG9hZA.'));
      assert.ok(verify('sha256', utf8('aGVhZGVy.cGF5bG9hZA'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(jws.split('.')[2]!, 'base64url')));
      assert.deepEqual(calls, { seal: 1, sign: 3, jws: 1, keys: 1, prepared: 0, discarded: 0 });
      assert.equal(thread.offloaded, 7, 'P-256, P-384 and P-521 releases, three signatures and a JWS; RSA in place');
    });
  });

  test('a point off the curve is MalformedInput, as in place', async () => {
    const { native } = spy();
    await withThread({ busyAbove: 0, native }, async (thread) => {
      const { jwk } = generateTeeKeyPair('P-256');
      const y = Buffer.from((jwk as EcPublicJwk).y, 'base64url');
      y[0]! ^= 1;
      await assert.rejects(thread.seal(utf8('x'), { ...(jwk as EcPublicJwk), y: y.toString('base64url') }), MalformedInput);
    });
  });

  test('when it cannot take a job: that job runs in place, later ones on the worker, and it is not asked again', async () => {
    const { native, calls } = spy(true);
    await withThread({ busyAbove: 0, native }, async (thread) => {
      const tee = generateTeeKeyPair('P-256');
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('one'), tee.jwk), tee.privateKey)), 'one');
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('two'), tee.jwk), tee.privateKey)), 'two');
      assert.ok(verify('sha256', utf8('s'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, await thread.signEs256(utf8('s'), key)));
      assert.deepEqual(calls, { seal: 1, sign: 0, jws: 0, keys: 0, prepared: 0, discarded: 0 });
      assert.equal(thread.offloaded, 2, 'the second release and the signature');
    });
  });

  test('a release prepared with the token signature seals its own recipient once; another recipient or a second use takes the ordinary path', async () => {
    const { native, calls } = spy();
    await withThread({ busyAbove: 0, native }, async (thread) => {
      const tee = generateTeeKeyPair('P-256');
      const other = generateTeeKeyPair('P-256');
      const point = ecPointOf(tee.jwk as EcPublicJwk);
      const { token, release } = await thread.signJws(utf8('aGVhZGVy.cGF5bG9hZA'), key, tee.jwk);
      assert.ok(token.startsWith('aGVhZGVy.cGF5bG9hZA.') && release);
      assert.deepEqual(release.point, point);
      // Its recipient: one AES-GCM here, no job; jose opens it.
      const jwe = await thread.seal(utf8('prepared'), tee.jwk, release);
      assert.equal(fromUtf8((await flattenedDecrypt(jwe, tee.privateKey)).plaintext), 'prepared');
      assert.deepEqual([calls.prepared, calls.seal], [1, 0]);
      // Used up: the ordinary release, still to the right key.
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('again'), tee.jwk, release), tee.privateKey)), 'again');
      assert.deepEqual([calls.prepared, calls.seal], [2, 1]);
      // Another recipient: the ordinary release to that key, and the prepared one is given up.
      const second = (await thread.signJws(utf8('aGVhZGVy.cGF5bG9hZA'), key, tee.jwk)).release!;
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('other'), other.jwk, second), other.privateKey)), 'other');
      assert.deepEqual([calls.prepared, calls.seal, calls.discarded, calls.jws], [2, 2, 1, 2]);
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('late'), tee.jwk, second), tee.privateKey)), 'late', 'a discarded release is not used');
      assert.deepEqual([calls.prepared, calls.seal], [3, 3]);
      assert.equal(thread.offloaded, 5, 'two JWSs with their releases and three ordinary releases');
    });
  });

  test('without the native thread, signJws prepares no release and seal works as ever', async () => {
    await withThread({ busyAbove: 0, native: false }, async (thread) => {
      const tee = generateTeeKeyPair('P-256');
      const { release } = await thread.signJws(utf8('a.b'), key, tee.jwk);
      assert.equal(release, undefined);
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('w'), tee.jwk, release), tee.privateKey)), 'w');
    });
  });

  test('native: false leaves every job to the worker', async () => {
    await withThread({ busyAbove: 0, native: false }, async (thread) => {
      const tee = generateTeeKeyPair('P-256');
      assert.equal(fromUtf8(decryptJwe(await thread.seal(utf8('w'), tee.jwk), tee.privateKey)), 'w');
      assert.equal(thread.offloaded, 1);
    });
  });
});


describe('inlineCryptoThread', () => {
  test('signs on the calling thread', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const sig = await inlineCryptoThread().signEs256(utf8('x'), es256Key(privateKey));
    assert.ok(verify('sha256', utf8('x'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig));
  });

  test('encrypts on the calling thread', async () => {
    const sealer = inlineCryptoThread();
    const { privateKey, jwk } = generateTeeKeyPair('P-521');
    assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('here'), jwk), privateKey)), 'here');
    assert.equal(sealer.offloaded, 0);
  });
});
