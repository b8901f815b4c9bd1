import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteReader, toHex } from '../../../core/index.js';
import { TpmError, TpmWriter, buildCommand, parseResponse, passwordAuthArea, pcrSelection, readPcrSelection } from './marshal.js';

describe('buildCommand', () => {
  test('writes TPM2_Startup(CLEAR) exactly as the spec example', () => {
    assert.equal(toHex(buildCommand(0x144, [], new TpmWriter().u16(0).finish())), '80010000000c000001440000');
  });

  test('adds the password session and the sessions tag for authorized commands', () => {
    const cmd = buildCommand(0x182, [8], new Uint8Array(0), 1);
    assert.equal(toHex(cmd), '80020000001b00000182' + '00000008' + '00000009' + '40000009' + '0000' + '00' + '0000');
    assert.equal(passwordAuthArea(2).length, 4 + 18);
  });
});

describe('parseResponse', () => {
  const ok = (body: string, tag = '8001') => Uint8Array.from(Buffer.from(tag + (10 + body.length / 2).toString(16).padStart(8, '0') + '00000000' + body, 'hex'));

  test('returns handles and the parameter area of a session response', () => {
    const r = parseResponse(0x131, ok('80000001' + '00000002' + 'abcd' + 'ffff', '8002'), 1);
    assert.deepEqual(r.handles, [0x80000001]);
    assert.equal(toHex(r.params.bytesN(r.params.remaining)), 'abcd');
  });

  test('throws TpmError with the response code', () => {
    const resp = Uint8Array.from(Buffer.from('8001000000' + '0a' + '00000922', 'hex'));
    assert.throws(() => parseResponse(0x158, resp), (e: unknown) => e instanceof TpmError && e.rc === 0x922);
  });

  test('refuses truncated responses, size mismatches and unknown tags', () => {
    const good = ok('1234');
    assert.throws(() => parseResponse(1, good.subarray(0, 8)), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseResponse(1, Uint8Array.from([...good, 0])), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseResponse(1, ok('1234', '8018')), { code: 'ERR_MALFORMED_INPUT' });
    assert.throws(() => parseResponse(1, ok('0000000a12', '8002')), { code: 'ERR_MALFORMED_INPUT' });
  });

  test('never throws anything but a CocoError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 2 }), (b, h) => {
        try {
          const r = parseResponse(1, b, h);
          r.params.bytesN(Math.min(2, r.params.remaining));
        } catch (err) {
          assert.match((err as { code?: string }).code ?? '', /^ERR_/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('pcrSelection / readPcrSelection', () => {
  test('round-trips any subset of PCRs 0-23', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 23 })), (pcrs) => {
        const sel = readPcrSelection(new ByteReader(pcrSelection(0x000b, pcrs), 'sel'));
        assert.deepEqual(sel, [{ hashAlg: 0x000b, pcrs: [...pcrs].sort((a, b) => a - b) }]);
      }),
    );
  });

  test('refuses PCRs outside 0-23 and absurd bank counts', () => {
    assert.throws(() => pcrSelection(0x000b, [24]), TypeError);
    assert.throws(() => readPcrSelection(new ByteReader(Uint8Array.from([0, 0, 1, 0]), 'sel')), { code: 'ERR_MALFORMED_INPUT' });
  });
});
