/**
 * Tests for the gRPC byte and string helpers: the length-prefixed message frame, status codes, the
 * percent-encoded `grpc-message` and the `grpc-timeout` header (gRPC PROTOCOL-HTTP2).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../core/index.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  GrpcStatus,
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatGrpcTimeout,
  frameMessage,
  grpcStatusName,
  parseGrpcTimeout,
  unframeMessage,
} from './grpc.js';

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

/** Assert that `fn` throws a `MalformedInput` with `where` equal to `where` (and a message matching `message`, when given). */
function throwsMalformed(fn: () => unknown, where: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
    assert.equal(e.where, where);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('gRPC status codes', () => {
  test('carry the numbers of the gRPC specification', () => {
    assert.deepEqual(
      { ...GrpcStatus },
      {
        OK: 0,
        CANCELLED: 1,
        UNKNOWN: 2,
        INVALID_ARGUMENT: 3,
        DEADLINE_EXCEEDED: 4,
        NOT_FOUND: 5,
        ALREADY_EXISTS: 6,
        PERMISSION_DENIED: 7,
        RESOURCE_EXHAUSTED: 8,
        FAILED_PRECONDITION: 9,
        ABORTED: 10,
        OUT_OF_RANGE: 11,
        UNIMPLEMENTED: 12,
        INTERNAL: 13,
        UNAVAILABLE: 14,
        DATA_LOSS: 15,
        UNAUTHENTICATED: 16,
      },
    );
  });

  test('grpcStatusName names every code and describes numbers outside the table', () => {
    assert.equal(grpcStatusName(3), 'INVALID_ARGUMENT');
    assert.equal(grpcStatusName(0), 'OK');
    assert.equal(grpcStatusName(16), 'UNAUTHENTICATED');
    for (const [name, code] of Object.entries(GrpcStatus)) assert.equal(grpcStatusName(code), name);
    assert.equal(grpcStatusName(42), 'status 42');
    assert.equal(grpcStatusName(17), 'status 17');
    assert.equal(grpcStatusName(-1), 'status -1');
  });
});

describe('gRPC message framing', () => {
  test('a frame is flag 0, the big-endian u32 length, then the message', () => {
    assert.equal(toHex(frameMessage(bytes('010203'))), '00' + '00000003' + '010203');
    assert.equal(toHex(frameMessage(new Uint8Array(0))), '0000000000');
    const big = frameMessage(new Uint8Array(300).fill(7));
    assert.equal(toHex(big.subarray(0, 5)), '000000012c');
    assert.equal(big.length, 305);
    assert.ok(big.subarray(5).every((b) => b === 7));
    const huge = frameMessage(new Uint8Array(0x01020304));
    assert.equal(toHex(huge.subarray(0, 5)), '0001020304');
  });

  test('frames a view at an offset of a larger buffer by its own bytes only', () => {
    const backing = bytes('aabbcc 616263 ddeeff');
    assert.equal(toHex(frameMessage(backing.subarray(3, 6))), '0000000003616263');
    assert.equal(toHex(frameMessage(Buffer.from('hi'))), '00000000026869');
  });

  test('unframeMessage(frameMessage(m)) is m for any message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (m) => {
        assert.deepEqual(unframeMessage(frameMessage(m)), m);
        assert.deepEqual(unframeMessage(frameMessage(m), m.length), m);
      }),
      { numRuns: 500 },
    );
  });

  test('unframes a body that is a view at an offset of a larger buffer', () => {
    const backing = bytes('ff ff ff 00 00000002 6869 ff');
    assert.deepEqual(unframeMessage(backing.subarray(3, 10)), bytes('6869'));
    // A Buffer body (what the HTTP/2 transport collects) gives a view of the same bytes.
    assert.equal(toHex(unframeMessage(Buffer.from('00000000026869', 'hex'))), '6869');
  });

  test('refuses a compressed message (flag 1)', () => {
    throwsMalformed(() => unframeMessage(bytes('01 00000001 00')), 'grpc frame', /compressed/);
    throwsMalformed(() => unframeMessage(bytes('01 00000000')), 'grpc frame', /compressed/);
  });

  test('refuses an undefined flag', () => {
    for (const flag of [2, 0x7f, 0x80, 0xff]) {
      const body = bytes('00 00000001 00');
      body[0] = flag;
      throwsMalformed(() => unframeMessage(body), 'grpc frame', new RegExp(`flag ${flag}`));
    }
  });

  test('refuses a body shorter than the 5-byte header, including an empty body', () => {
    for (let n = 0; n < 5; n++) throwsMalformed(() => unframeMessage(new Uint8Array(n)), 'grpc frame', /no complete frame header/);
  });

  test('refuses a truncated message', () => {
    throwsMalformed(() => unframeMessage(bytes('00 00000003 6162')), 'grpc frame', /announces 3 bytes but 2 follow/);
    throwsMalformed(() => unframeMessage(bytes('00 00000001')), 'grpc frame');
    const frame = frameMessage(new Uint8Array(100).fill(1));
    for (let n = 5; n < frame.length; n++) throwsMalformed(() => unframeMessage(frame.subarray(0, n)), 'grpc frame');
  });

  test('refuses trailing bytes and a second message', () => {
    throwsMalformed(() => unframeMessage(bytes('00 00000001 61 00')), 'grpc frame', /more than one message/);
    const two = new Uint8Array([...frameMessage(bytes('61')), ...frameMessage(bytes('62'))]);
    throwsMalformed(() => unframeMessage(two), 'grpc frame', /more than one message/);
    throwsMalformed(() => unframeMessage(new Uint8Array([...frameMessage(new Uint8Array(0)), ...frameMessage(new Uint8Array(0))])), 'grpc frame');
  });

  test('refuses a message over the limit from its header alone, and accepts one exactly at it', () => {
    assert.deepEqual(unframeMessage(frameMessage(bytes('010203')), 3), bytes('010203'));
    throwsMalformed(() => unframeMessage(frameMessage(bytes('010203')), 2), 'grpc frame', /exceeds the limit of 2/);
    assert.deepEqual(unframeMessage(frameMessage(new Uint8Array(0)), 0), new Uint8Array(0));
    throwsMalformed(() => unframeMessage(frameMessage(bytes('00')), 0), 'grpc frame', /exceeds/);
    // Only the header is needed: a peer announcing 4 GiB is refused before anything is buffered.
    throwsMalformed(() => unframeMessage(bytes('00 ffffffff')), 'grpc frame', /4294967295 bytes exceeds the limit of 4194304/);
    throwsMalformed(() => unframeMessage(bytes('00 00400001')), 'grpc frame', /exceeds/);
  });

  test('the default limit is 4 MiB', () => {
    assert.equal(DEFAULT_MAX_MESSAGE_BYTES, 4 * 1024 * 1024);
    const atLimit = new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES);
    assert.equal(unframeMessage(frameMessage(atLimit)).length, DEFAULT_MAX_MESSAGE_BYTES);
    throwsMalformed(() => unframeMessage(frameMessage(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1))), 'grpc frame', /exceeds/);
  });

  test('any body unframes to its payload or throws MalformedInput', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.option(fc.nat({ max: 64 }), { nil: undefined }), (body, max) => {
        try {
          const m = unframeMessage(body, max);
          assert.equal(body[0], 0);
          assert.equal(m.length, body.length - 5);
          assert.equal(new DataView(body.buffer, body.byteOffset).getUint32(1), m.length);
        } catch (e) {
          assert.ok(e instanceof MalformedInput, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('grpc-message percent-encoding', () => {
  test('printable ASCII other than % is left as it is', () => {
    assert.equal(encodeGrpcMessage('hello, world'), 'hello, world');
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== '%')
      .join('');
    assert.equal(encodeGrpcMessage(printable), printable);
  });

  test('% and everything outside printable ASCII is percent-encoded as upper-case hex of the UTF-8 bytes', () => {
    assert.equal(encodeGrpcMessage('100%'), '100%25');
    assert.equal(encodeGrpcMessage('%25'), '%2525');
    assert.equal(encodeGrpcMessage('café'), 'caf%C3%A9');
    assert.equal(encodeGrpcMessage('no such thing: ü'), 'no such thing: %C3%BC');
    assert.equal(encodeGrpcMessage('a\nb\tc\r'), 'a%0Ab%09c%0D');
    assert.equal(encodeGrpcMessage('\x00\x1f\x7f'), '%00%1F%7F');
    assert.equal(encodeGrpcMessage('€'), '%E2%82%AC');
    assert.equal(encodeGrpcMessage('😀'), '%F0%9F%98%80');
    assert.equal(encodeGrpcMessage(''), '');
  });

  test('the encoding is always printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        assert.match(encodeGrpcMessage(s), /^[\x20-\x7e]*$/);
      }),
      { numRuns: 500 },
    );
  });

  test('decodeGrpcMessage(encodeGrpcMessage(s)) is s for arbitrary Unicode text', () => {
    const withBom = (s: string) => `\uFEFF${s}`;
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }).map(withBom)), (s) => {
        assert.equal(decodeGrpcMessage(encodeGrpcMessage(s)), s);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }).map(withBom)), (s) => {
        assert.equal(decodeGrpcMessage(encodeGrpcMessage(s)), s);
      }),
      { numRuns: 500 },
    );
  });

  test('decodeGrpcMessage keeps a leading U+FEFF', () => {
    // A TextDecoder strips a leading byte order mark unless `ignoreBOM` is set.
    assert.equal(decodeGrpcMessage('%EF%BB%BFabc'), '\uFEFFabc');
    assert.equal(decodeGrpcMessage(encodeGrpcMessage('\uFEFF')), '\uFEFF');
  });

  test('decodeGrpcMessage accepts lower-case hex and text that needed no escaping', () => {
    assert.equal(decodeGrpcMessage('caf%c3%a9'), 'café');
    assert.equal(decodeGrpcMessage('caf%C3%A9'), 'café');
    assert.equal(decodeGrpcMessage('plain text'), 'plain text');
    assert.equal(decodeGrpcMessage(''), '');
  });

  test('decodeGrpcMessage keeps a malformed escape as it is', () => {
    assert.equal(decodeGrpcMessage('100%'), '100%');
    assert.equal(decodeGrpcMessage('%'), '%');
    assert.equal(decodeGrpcMessage('%4'), '%4');
    assert.equal(decodeGrpcMessage('%zz'), '%zz');
    assert.equal(decodeGrpcMessage('%G1 ok'), '%G1 ok');
    assert.equal(decodeGrpcMessage('50% off'), '50% off');
    // A '%' that does not start an escape is kept and the next one is still decoded.
    assert.equal(decodeGrpcMessage('%%41'), '%A');
    assert.equal(decodeGrpcMessage('%4%41'), '%4A');
  });

  test('decodeGrpcMessage never throws, whatever the header value', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('%', 'a', 'F', '0', '9', 'g', 'é', '\x00') }), (s) => {
        assert.equal(typeof decodeGrpcMessage(s), 'string');
      }),
      { numRuns: 1000 },
    );
    // Escapes that are not UTF-8 come out as replacement characters.
    assert.equal(decodeGrpcMessage('a%FFb'), 'a\uFFFDb');
  });
});

describe('grpc-timeout', () => {
  test('parses each unit into milliseconds', () => {
    assert.equal(parseGrpcTimeout('2H'), 7_200_000);
    assert.equal(parseGrpcTimeout('3M'), 180_000);
    assert.equal(parseGrpcTimeout('5S'), 5000);
    assert.equal(parseGrpcTimeout('250m'), 250);
    assert.ok(Math.abs(parseGrpcTimeout('1500u') - 1.5) < 1e-12);
    assert.ok(Math.abs(parseGrpcTimeout('2500000n') - 2.5) < 1e-12);
    assert.ok(Math.abs(parseGrpcTimeout('1n') - 1e-6) < 1e-18);
    assert.equal(parseGrpcTimeout('0m'), 0);
  });

  test('accepts up to 8 digits, leading zeros included', () => {
    assert.equal(parseGrpcTimeout('99999999H'), 99_999_999 * 3_600_000);
    assert.equal(parseGrpcTimeout('99999999m'), 99_999_999);
    assert.equal(parseGrpcTimeout('00000001S'), 1000);
    assert.equal(parseGrpcTimeout('1m'), 1);
  });

  test('refuses 9 digits, a missing or unknown unit, a sign and anything around the value', () => {
    for (const bad of [
      '123456789m',
      '000000001S',
      '100',
      '',
      'S',
      'm',
      '-1S',
      '+1S',
      '1.5S',
      '1e3m',
      '1s',
      '1h',
      '1ms',
      '1 S',
      ' 1S',
      '1S ',
      '1S\n',
      '1\nS',
      '0x10m',
      '١S', // Arabic-Indic digit one
      '１S', // full-width digit one
    ]) {
      throwsMalformed(() => parseGrpcTimeout(bad), 'grpc-timeout');
    }
  });

  test('formatGrpcTimeout writes whole milliseconds, rounding up', () => {
    assert.equal(formatGrpcTimeout(0), '0m');
    assert.equal(formatGrpcTimeout(1), '1m');
    assert.equal(formatGrpcTimeout(0.2), '1m');
    assert.equal(formatGrpcTimeout(1.2), '2m');
    assert.equal(formatGrpcTimeout(300_000), '300000m');
    assert.equal(formatGrpcTimeout(99_999_999), '99999999m');
    assert.equal(formatGrpcTimeout(99_999_998.5), '99999999m');
  });

  test('formatGrpcTimeout switches to seconds, rounding up, when milliseconds need more than 8 digits', () => {
    assert.equal(formatGrpcTimeout(99_999_999.5), '100000S');
    assert.equal(formatGrpcTimeout(100_000_000), '100000S');
    assert.equal(formatGrpcTimeout(100_000_001), '100001S');
    assert.equal(formatGrpcTimeout(86_400_000 * 365), '31536000S');
    assert.equal(formatGrpcTimeout(99_999_999_000), '99999999S');
    // Beyond what 8 digits of seconds can say, the largest value.
    assert.equal(formatGrpcTimeout(99_999_999_001), '99999999S');
    assert.equal(formatGrpcTimeout(Number.MAX_VALUE), '99999999S');
    assert.equal(formatGrpcTimeout(Infinity), '99999999S');
  });

  test('formatGrpcTimeout clamps negative durations to zero', () => {
    assert.equal(formatGrpcTimeout(-1), '0m');
    assert.equal(formatGrpcTimeout(-0.5), '0m');
    assert.equal(formatGrpcTimeout(-Infinity), '0m');
  });

  test('parseGrpcTimeout(formatGrpcTimeout(ms)) is ms rounded up to a whole millisecond', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 99_999_999, noNaN: true }), (ms) => {
        assert.equal(parseGrpcTimeout(formatGrpcTimeout(ms)), Math.ceil(ms));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999_999 }), (ms) => {
        assert.equal(parseGrpcTimeout(formatGrpcTimeout(ms)), ms);
      }),
      { numRuns: 1000 },
    );
  });

  test('a large timeout round-trips to at most one second more, never less', () => {
    fc.assert(
      fc.property(fc.double({ min: 99_999_999, max: 99_999_999_000, noNaN: true }), (ms) => {
        const back = parseGrpcTimeout(formatGrpcTimeout(ms));
        assert.ok(back >= ms && back < ms + 1000, `${ms} -> ${formatGrpcTimeout(ms)}`);
      }),
      { numRuns: 2000 },
    );
  });

  test('formatGrpcTimeout always writes a value parseGrpcTimeout accepts, for any non-NaN number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (ms) => {
        const header = formatGrpcTimeout(ms);
        assert.match(header, /^\d{1,8}[mS]$/);
        assert.ok(parseGrpcTimeout(header) >= Math.min(ms, 99_999_999_000));
      }),
      { numRuns: 2000 },
    );
  });
});
