import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseRange, satisfiesRange } from './semver-range.js';
import { MalformedInput } from './errors.js';

const cases: [string, string, boolean][] = [
  ['=0.4.0', '0.4.0', true],
  ['=0.4.0', '0.4.1', false],
  ['=0.4.0', '0.3.0', false],
  ['=0.4.0', '0.4.0-rc.1', false],
  ['0.4.0', '0.4.9', true], // bare = caret, as in Rust semver
  ['0.4.0', '0.5.0', false],
  ['^1.2.3', '1.9.0', true],
  ['^1.2.3', '2.0.0', false],
  ['^0.0.3', '0.0.4', false],
  ['^0.0', '0.0.9', true],
  ['^0.0', '0.1.0', false],
  ['~0.4.1', '0.4.7', true],
  ['~0.4.1', '0.4.0', false],
  ['~1', '1.9.9', true],
  ['>=0.3.0, <0.5.0', '0.4.2', true],
  ['>=0.3.0, <0.5.0', '0.5.0', false],
  ['>0.4', '0.5.0', true],
  ['>0.4', '0.4.9', false],
  ['<=0.4', '0.4.9', true],
  ['<=0.4', '0.5.0', false],
  ['=0.4', '0.4.3', true],
  ['0.4.*', '0.4.3', true],
  ['0.4.*', '0.5.0', false],
  ['*', '7.1.2', true],
  ['>=1.0.0-alpha', '1.0.0-beta', true],
  ['<1.0.0', '1.0.0-rc.1', true],
];

describe('satisfiesRange', () => {
  for (const [range, version, want] of cases) {
    test(`${want ? 'accepts' : 'rejects'} ${version} for ${range}`, () => {
      assert.equal(satisfiesRange(version, range), want);
    });
  }

  test('an unparsable version never satisfies', () => {
    for (const bad of ['0.4', '0.4.0.1', 'v0.4.0', '', '00.4.0', '0.4.0-', ' ']) assert.equal(satisfiesRange(bad, '*'), false, bad);
  });

  test('orders pre-releases by SemVer precedence', () => {
    const order = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 1; i < order.length; i++) assert.equal(satisfiesRange(order[i]!, `>${order[i - 1]}`), true, order[i]);
  });

  test('an exact requirement matches exactly its version (property)', () => {
    const ver = fc.tuple(fc.nat(50), fc.nat(50), fc.nat(50)).map(([a, b, c]) => `${a}.${b}.${c}`);
    fc.assert(fc.property(ver, ver, (a, b) => satisfiesRange(b, `=${a}`) === (a === b)));
  });

  test('a >= , < pair agrees with numeric comparison (property)', () => {
    const t = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20));
    const key = ([a, b, c]: [number, number, number]) => a * 10000 + b * 100 + c;
    fc.assert(
      fc.property(t, t, t, (lo, hi, x) => {
        const want = key(x) >= key(lo) && key(x) < key(hi);
        return satisfiesRange(x.join('.'), `>=${lo.join('.')}, <${hi.join('.')}`) === want;
      }),
    );
  });
});

describe('parseRange', () => {
  test('rejects malformed requirements with MalformedInput', () => {
    for (const bad of ['', '=', '>=0.4.0,', 'abc', '=1.x.3', '^*.1', '==0.4.0', '0.4-rc', '1.2.3.4']) {
      assert.throws(() => parseRange(bad), MalformedInput, bad);
    }
  });

  test('never throws anything but MalformedInput on arbitrary text (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          parseRange(s);
        } catch (e) {
          return e instanceof MalformedInput;
        }
        return true;
      }),
    );
  });
});
