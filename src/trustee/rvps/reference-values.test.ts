import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore } from '../storage/memory.js';
import { ReferenceValues, parseRvpsMessage } from './reference-values.js';
import { extractSample } from './extractors/sample.js';

const T0 = Date.parse('2026-11-23T08:00:00Z');
const payload = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64');

describe('parseRvpsMessage', () => {
  test('defaults the version and refuses another one', () => {
    assert.equal(parseRvpsMessage({ type: 'sample', payload: 'e30=' }).version, '0.1.0');
    assert.throws(() => parseRvpsMessage({ version: '0.2.0', type: 'sample', payload: 'e30=' }), { where: 'message.version' });
    assert.throws(() => parseRvpsMessage({ version: '0.1.0', type: 7, payload: '' }), { where: 'message.type' });
    assert.throws(() => parseRvpsMessage('x'), { code: 'ERR_MALFORMED_INPUT' });
  });
});

describe('extractSample', () => {
  test('turns each member into one reference value', () => {
    assert.deepEqual(extractSample(payload({ svn: ['1'], major: 1 })), [
      { name: 'svn', value: ['1'] },
      { name: 'major', value: 1 },
    ]);
  });
  test('refuses payloads that are not base64 of a JSON object, and only with MalformedInput', () => {
    assert.throws(() => extractSample(payload([1])), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => extractSample('!!!'), { code: 'ERR_MALFORMED_INPUT' });
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          extractSample(s);
          return true;
        } catch (e) {
          return (e as { code?: string }).code === 'ERR_MALFORMED_INPUT';
        }
      }),
    );
  });
});

describe('ReferenceValues', () => {
  test('stores upstream-shaped records that expire after the lifetime', async () => {
    const store = new MemoryStore(() => T0);
    const rv = new ReferenceValues(store, { lifetimeMs: 60_000 });
    assert.deepEqual(await rv.register({ version: '0.1.0', type: 'sample', payload: payload({ svn: ['1'] }) }, T0), ['svn']);
    assert.deepEqual(await rv.get('svn'), { version: '0.1.0', name: 'svn', expiration: '2026-11-23T08:01:00Z', value: ['1'] });
    const live = await rv.snapshot(T0 + 1000);
    assert.deepEqual(live.values.get('svn'), ['1']);
    const later = await rv.snapshot(T0 + 61_000);
    assert.equal(later.values.has('svn'), false);
    assert.equal(later.expired.has('svn'), true);
    // live() answers as the snapshot does: the value until its expiration, then nothing.
    assert.deepEqual(await rv.live('svn', T0 + 59_000), ['1']);
    assert.equal(await rv.live('svn', T0 + 60_000), undefined);
    assert.equal(await rv.live('nothing', T0), undefined);
  });

  test('refuses an unknown extractor type', async () => {
    const rv = new ReferenceValues(new MemoryStore());
    await assert.rejects(rv.register({ version: '0.1.0', type: 'swid', payload: '' }, T0), { code: 'ERR_UNSUPPORTED' });
  });
});
