import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { flattenedDecrypt } from 'jose';
import { MalformedInput, Unsupported, decryptJwe, fromUtf8, generateTeeKeyPair, utf8, type EcPublicJwk } from '../../core/index.js';
import { inlineJweSealer, threadedJweSealer } from './jwe-sealer.js';

const KINDS = ['P-256', 'P-384', 'P-521', 'RSA'] as const;

describe('threadedJweSealer', () => {
  test('encrypts on the worker thread, for jose and for decryptJwe, with every key type', async () => {
    const sealer = threadedJweSealer({ busyAbove: 0 });
    try {
      for (const kind of KINDS) {
        const { privateKey, jwk } = generateTeeKeyPair(kind);
        const jwe = await sealer.seal(utf8(`secret for ${kind}`), jwk);
        assert.equal(fromUtf8(decryptJwe(jwe, privateKey)), `secret for ${kind}`);
        const { plaintext } = await flattenedDecrypt(jwe, privateKey);
        assert.equal(fromUtf8(plaintext), `secret for ${kind}`);
      }
      // The three EC releases went through the worker; the RSA one stayed on this thread.
      assert.equal(sealer.offloaded, 3);
    } finally {
      await sealer.close();
    }
  });

  test('answers many concurrent releases, each with its own recipient', async () => {
    const sealer = threadedJweSealer({ busyAbove: 0 });
    try {
      const keys = Array.from({ length: 8 }, () => generateTeeKeyPair('P-256'));
      const jwes = await Promise.all(Array.from({ length: 200 }, (_, i) => sealer.seal(utf8(`#${i}`), keys[i % 8]!.jwk)));
      jwes.forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, keys[i % 8]!.privateKey)), `#${i}`));
      assert.equal(sealer.offloaded, 200);
    } finally {
      await sealer.close();
    }
  });

  test('gives the errors of encryptJwe: a point off the curve is MalformedInput, RSA1_5 is Unsupported', async () => {
    const sealer = threadedJweSealer({ busyAbove: 0 });
    try {
      const { jwk } = generateTeeKeyPair('P-256');
      const ec = jwk as EcPublicJwk;
      const y = Buffer.from(ec.y, 'base64url');
      y[5]! ^= 1;
      await assert.rejects(sealer.seal(utf8('x'), { ...ec, y: y.toString('base64url') }), MalformedInput);
      const rsa = generateTeeKeyPair('RSA').jwk;
      await assert.rejects(sealer.seal(utf8('x'), { ...rsa, alg: 'RSA1_5' }), Unsupported);
      assert.equal(sealer.offloaded, 0);
    } finally {
      await sealer.close();
    }
  });

  test('encrypts in place while the event loop is not busy', async () => {
    const sealer = threadedJweSealer({ busyAbove: 1.01 });
    try {
      const { privateKey, jwk } = generateTeeKeyPair('P-256');
      assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('idle'), jwk), privateKey)), 'idle');
      assert.equal(sealer.offloaded, 0);
    } finally {
      await sealer.close();
    }
  });

  test('starts offloading once the sampled event-loop utilisation is high', async () => {
    const sealer = threadedJweSealer({ busyAbove: 0.5, sampleMs: 20 });
    try {
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
    } finally {
      await sealer.close();
    }
  });

  test('encrypts in place when its worker cannot start or dies, losing no release', async () => {
    for (const script of ['throw new Error("no worker here")', 'process.exit(3)']) {
      const sealer = threadedJweSealer({ busyAbove: 0, spawn: () => new Worker(script, { eval: true }) });
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

  test('finishes releases still pending when closed', async () => {
    const sealer = threadedJweSealer({ busyAbove: 0 });
    const { privateKey, jwk } = generateTeeKeyPair('P-384');
    const pending = Array.from({ length: 20 }, (_, i) => sealer.seal(utf8(`c${i}`), jwk));
    await sealer.close();
    (await Promise.all(pending)).forEach((jwe, i) => assert.equal(fromUtf8(decryptJwe(jwe, privateKey)), `c${i}`));
  });
});

describe('inlineJweSealer', () => {
  test('encrypts on the calling thread', async () => {
    const sealer = inlineJweSealer();
    const { privateKey, jwk } = generateTeeKeyPair('P-521');
    assert.equal(fromUtf8(decryptJwe(await sealer.seal(utf8('here'), jwk), privateKey)), 'here');
    assert.equal(sealer.offloaded, 0);
  });
});
