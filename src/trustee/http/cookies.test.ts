import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatSetCookie, parseCookies } from './cookies.js';

describe('parseCookies', () => {
  test('reads the first value of each cookie and skips malformed pairs', () => {
    const m = parseCookies('a=1; kbs-session-id=abc; junk; =x; a=2; q="quoted"');
    assert.equal(m.get('a'), '1');
    assert.equal(m.get('kbs-session-id'), 'abc');
    assert.equal(m.get('q'), 'quoted');
    assert.equal(m.size, 3);
  });

  test('round-trips what formatSetCookie writes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.integer({ min: 0, max: 4e12 }), (id, t) => {
        const header = formatSetCookie('kbs-session-id', id, new Date(t));
        return parseCookies(header.split(';')[0]).get('kbs-session-id') === id && header.includes('Expires=');
      }),
    );
  });

  test('never throws on arbitrary headers', () => {
    fc.assert(fc.property(fc.string(), (h) => parseCookies(h) instanceof Map));
  });
});
