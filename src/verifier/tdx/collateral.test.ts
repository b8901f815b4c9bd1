import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../core/index.js';
import { fixtureText } from '../../../test/support/fixtures.js';
import { parseQeIdentity, parseTcbInfo, rawMember } from './collateral.js';

describe('rawMember', () => {
  test('returns the exact text of a top-level member, whitespace and escapes included', () => {
    const text = '{ "x": {"y": "}\\"{"}, "tcbInfo" : { "a" : [1, {"b": "]"}] } ,"signature":"ab"}';
    assert.equal(rawMember(text, 'tcbInfo'), '{ "a" : [1, {"b": "]"}] }');
    assert.equal(rawMember(text, 'signature'), '"ab"');
    assert.equal(rawMember(text, 'a'), undefined, 'nested keys are not top-level members');
  });

  test('finds the member JSON.parse sees, for any object', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 5 }), (obj) => {
        const text = JSON.stringify(obj, null, 1);
        for (const k of Object.keys(obj)) assert.deepEqual(JSON.parse(rawMember(text, k)!), JSON.parse(JSON.stringify(obj[k])));
      }),
    );
  });
});

describe('parseTcbInfo', () => {
  test('parses the fixture TDX TCB info v3 with its module identities and levels', () => {
    const t = parseTcbInfo(fixtureText('tdx/tcbInfo.json'));
    assert.equal(t.id, 'TDX');
    assert.equal(t.version, 3);
    assert.equal(toHex(t.fmspc), '00a06d080000');
    assert.equal(t.tcbLevels.length, 2);
    assert.deepEqual(t.tdxModuleIdentities.map((m) => m.id), ['TDX_03', 'TDX_01']);
    assert.equal(t.nextUpdate.toISOString(), '2025-11-26T13:07:17.000Z');
    assert.ok(t.signedText.startsWith('{"id":"TDX"'));
  });

  test('rejects wrong types, unknown statuses and bad signatures as MalformedInput', () => {
    const text = fixtureText('tdx/tcbInfo.json');
    assert.throws(() => parseTcbInfo(text.replace('"version":3', '"version":"3"')), MalformedInput);
    assert.throws(() => parseTcbInfo(text.replace('"tcbStatus":"OutOfDate"', '"tcbStatus":"Fine"')), /unknown TCB status/);
    assert.throws(() => parseTcbInfo(text.replace(/"signature":"[0-9a-f]+"/, '"signature":"abcd"')), /64 bytes/);
    assert.throws(() => parseTcbInfo(text.slice(0, 100)), MalformedInput);
    assert.throws(() => parseTcbInfo('[]'), MalformedInput);
  });
});

describe('parseQeIdentity', () => {
  test('parses the fixture TD_QE identity', () => {
    const q = parseQeIdentity(fixtureText('tdx/enclaveIdentity.json'));
    assert.equal(q.id, 'TD_QE');
    assert.equal(q.isvProdId, 2);
    assert.equal(q.miscSelectMask, 0xffffffff);
    assert.equal(toHex(q.mrSigner), 'dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5');
    assert.deepEqual(q.tcbLevels.map((l) => [l.isvSvn, l.tcbStatus]), [[4, 'UpToDate']]);
  });

  test('rejects a short MRSIGNER', () => {
    assert.throws(() => parseQeIdentity(fixtureText('tdx/enclaveIdentity.json').replace('"mrsigner":"DC9E', '"mrsigner":"')), /32 bytes/);
  });
});
