import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileVersionRange, parseSemver } from './version.js';

describe('compileVersionRange', () => {
  test('the default range accepts exactly 0.4.0', () => {
    const ok = compileVersionRange('=0.4.0');
    assert.equal(ok('0.4.0'), true);
    for (const v of ['0.4.1', '0.3.0', '1.4.0', '0.4', '0.4.0.1', '', 'v0.4.x']) assert.equal(ok(v), false, v);
  });

  test('supports comparators, caret, tilde and alternatives', () => {
    assert.equal(compileVersionRange('>=0.3.0 <0.5.0')('0.4.9'), true);
    assert.equal(compileVersionRange('>=0.3.0 <0.5.0')('0.5.0'), false);
    assert.equal(compileVersionRange('^0.4.0')('0.4.7'), true);
    assert.equal(compileVersionRange('^0.4.0')('0.5.0'), false);
    assert.equal(compileVersionRange('~1.2.3')('1.2.9'), true);
    assert.equal(compileVersionRange('~1.2.3')('1.3.0'), false);
    assert.equal(compileVersionRange('=0.1.1 || =0.4.0')('0.1.1'), true);
  });

  test('refuses a malformed range with ConfigError', () => {
    assert.throws(() => compileVersionRange('>=banana'), { code: 'ERR_CONFIG' });
    assert.throws(() => compileVersionRange(' || '), { code: 'ERR_CONFIG' });
  });

  test('an exact range accepts a version iff it is that version; >= orders like numbers', () => {
    const triple = fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30));
    fc.assert(
      fc.property(triple, triple, (v, w) => {
        const vs = v.join('.');
        const ws = w.join('.');
        const order = v[0] - w[0] || v[1] - w[1] || v[2] - w[2];
        return compileVersionRange(`=${vs}`)(ws) === (vs === ws) && compileVersionRange(`>=${vs}`)(ws) === order <= 0;
      }),
    );
  });

  test('parseSemver refuses arbitrary strings that are not x.y.z', () => {
    fc.assert(fc.property(fc.string(), (s) => parseSemver(s) === undefined || /^v?\d+\.\d+\.\d+/.test(s.trim())));
  });
});
