/**
 * Properties of the proto3 codec beyond single vectors: merging, round trips of random values,
 * damaged input (truncation, flipped bytes, splices) and fuzzing — every decoding failure is a
 * `MalformedInput`, never another error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput } from '../core/index.js';
import {
  ATTESTATION_REQUEST,
  ATTESTATION_RESPONSE,
  CHALLENGE_REQUEST,
  CHALLENGE_RESPONSE,
  INDIVIDUAL_ATTESTATION_REQUEST,
  REFERENCE_VALUE_QUERY_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  REFERENCE_VALUE_REGISTER_REQUEST,
  REFERENCE_VALUE_REGISTER_RESPONSE,
  SET_POLICY_REQUEST,
  SET_POLICY_RESPONSE,
} from './as-grpc.js';
import { decodeMessage, encodeMessage, type MessageSchema, type ProtoMessage } from './protobuf.js';
import {
  bytes,
  concat,
  decodeOrMalformed,
  NODE,
  text,
  stringMap,
  opt,
  attestationRequest,
  node,
} from '../../test/support/protobuf.js';
describe('protobuf decoding: merging and limits', () => {
  test('a non-repeated message field seen twice is merged: scalars from the last, lists and maps joined', () => {
    const first = encodeMessage(NODE, { child: { count: 1, label: 'a', tags: ['x'], attrs: { k: '1' } } });
    const second = encodeMessage(NODE, { child: { flag: true, tags: ['y'], attrs: { j: '2' } } });
    const merged = decodeMessage(NODE, Uint8Array.from([...first, ...second])).child as ProtoMessage;
    assert.equal(merged.count, 1);
    assert.equal(merged.label, 'a');
    assert.equal(merged.flag, true);
    assert.deepEqual(merged.tags, ['x', 'y']);
    assert.deepEqual(merged.attrs, { k: '1', j: '2' });
  });

  test('a map in the deepest allowed message is accepted (an entry is not a nesting level)', () => {
    let v: ProtoMessage = { attrs: { deep: 'yes' } };
    for (let i = 0; i < 32; i++) v = { child: v };
    let got = decodeMessage(NODE, encodeMessage(NODE, v));
    for (let i = 0; i < 32; i++) got = got.child as ProtoMessage;
    assert.deepEqual(got.attrs, { deep: 'yes' });
  });

  test('map errors name the map field', () => {
    // attrs entry whose key (field 1) is a varint instead of a string.
    assert.throws(() => decodeMessage(NODE, bytes('5a02 0801')), (e: unknown) => e instanceof MalformedInput && e.where === 'test.Node.attrs.key');
  });

  test('field numbers above 2^29 - 1 are refused', () => {
    // Tag for field 2^29 (wire type 0): 2^32 as a varint.
    assert.throws(() => decodeMessage(NODE, bytes('8080808010 00')), MalformedInput);
  });
});

describe('protobuf round trips', () => {
  test('decode(encode(x)) is x for random attestation requests, and encoding is canonical', () => {
    fc.assert(
      fc.property(attestationRequest, (value) => {
        const wire = encodeMessage(ATTESTATION_REQUEST, value);
        const back = decodeMessage(ATTESTATION_REQUEST, wire);
        assert.deepStrictEqual(back, value);
        assert.deepStrictEqual(encodeMessage(ATTESTATION_REQUEST, back), wire);
      }),
      { numRuns: 500 },
    );
  });

  test('decode(encode(x)) is x for random values of the test schema', () => {
    fc.assert(
      fc.property(node, (value) => {
        const wire = encodeMessage(NODE, value);
        const back = decodeMessage(NODE, wire);
        assert.deepStrictEqual(back, value);
        assert.deepStrictEqual(encodeMessage(NODE, back), wire);
      }),
      { numRuns: 300 },
    );
  });

  test('decode(encode(x)) is x for random challenge maps and optional reference values', () => {
    fc.assert(
      fc.property(stringMap, opt(text), (inner, results) => {
        assert.deepStrictEqual(decodeMessage(CHALLENGE_REQUEST, encodeMessage(CHALLENGE_REQUEST, { inner })), { inner });
        const rv = { reference_value_results: results };
        assert.deepStrictEqual(decodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, encodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, rv)), rv);
      }),
      { numRuns: 300 },
    );
  });

  test('a message is the concatenation of its fields, so unknown fields appended by a newer peer are ignored', () => {
    fc.assert(
      fc.property(attestationRequest, attestationRequest, (a, b) => {
        // Concatenating two encodings merges them: repeated fields append.
        const merged = decodeMessage(ATTESTATION_REQUEST, concat(encodeMessage(ATTESTATION_REQUEST, a), encodeMessage(ATTESTATION_REQUEST, b)));
        assert.deepStrictEqual(merged.verification_requests, [...(a.verification_requests as unknown[]), ...(b.verification_requests as unknown[])]);
        assert.deepStrictEqual(merged.policy_ids, [...(a.policy_ids as unknown[]), ...(b.policy_ids as unknown[])]);
        // A schema that only knows field 2 skips field 1 (a nested message) entirely.
        const onlyPolicies: MessageSchema = { name: 'test.OnlyPolicies', fields: [ATTESTATION_REQUEST.fields[1]!] };
        assert.deepStrictEqual(decodeMessage(onlyPolicies, encodeMessage(ATTESTATION_REQUEST, a)), { policy_ids: a.policy_ids });
      }),
      { numRuns: 200 },
    );
  });
});

describe('protobuf decoding of damaged input', () => {
  const sample: ProtoMessage = {
    verification_requests: [
      { tee: 'tdx', evidence: 'eyJxdW90ZSI6IkFBQUEifQ', raw_runtime_data: '', init_data_toml: 'version = "0.1.0"', runtime_data_hash_algorithm: 'sha384' },
      { tee: 'snp', evidence: 'e30', structured_runtime_data: '{"nonce":"n"}', init_data_digest: 'aGFzaA' },
    ],
    policy_ids: ['default', 'strict'],
  };
  const noRuntimeOrInit = { raw_runtime_data: undefined, structured_runtime_data: undefined, init_data_digest: undefined, init_data_toml: undefined };
  const sampleDecoded: ProtoMessage = {
    verification_requests: [
      { ...noRuntimeOrInit, ...(sample.verification_requests as ProtoMessage[])[0] },
      { ...noRuntimeOrInit, runtime_data_hash_algorithm: '', ...(sample.verification_requests as ProtoMessage[])[1] },
    ],
    policy_ids: sample.policy_ids,
  };
  const items = [
    ...(sample.verification_requests as ProtoMessage[]).map((r) => encodeMessage(ATTESTATION_REQUEST, { verification_requests: [r] })),
    ...(sample.policy_ids as string[]).map((p) => encodeMessage(ATTESTATION_REQUEST, { policy_ids: [p] })),
  ];
  const wire = encodeMessage(ATTESTATION_REQUEST, sample);

  test('every strict prefix decodes to a prefix of the fields at a field boundary and is refused anywhere else', () => {
    assert.deepStrictEqual(concat(...items), wire);
    // Where each top-level field ends, and the value of the fields so far.
    const boundaries = new Map<number, ProtoMessage>();
    let at = 0;
    for (let k = 0; k <= items.length; k++) {
      boundaries.set(at, decodeMessage(ATTESTATION_REQUEST, concat(...items.slice(0, k))));
      if (k < items.length) at += items[k]!.length;
    }
    let refused = 0;
    for (let n = 0; n < wire.length; n++) {
      const v = decodeOrMalformed(ATTESTATION_REQUEST, wire.subarray(0, n));
      if (boundaries.has(n)) assert.deepStrictEqual(v, boundaries.get(n), `prefix of ${n} bytes`);
      else {
        assert.equal(v, undefined, `prefix of ${n} bytes cuts inside a field but decoded`);
        refused++;
      }
    }
    assert.equal(refused, wire.length - items.length);
    assert.deepStrictEqual(boundaries.get(wire.length), sampleDecoded);
    assert.deepStrictEqual(decodeMessage(ATTESTATION_REQUEST, wire), sampleDecoded);
  });

  test('every strict prefix of a deeply nested test message decodes or throws MalformedInput', () => {
    const value: ProtoMessage = {
      data: new Uint8Array([0, 1, 2, 255]),
      count: 300,
      child: { label: 'x', child: { num: 7, attrs: { k: 'v' }, children: [{ flag: true }, { text: 'é' }] } },
      tags: ['a', ''],
      far: true,
    };
    const w = encodeMessage(NODE, value);
    let decoded = 0;
    for (let n = 0; n < w.length; n++) if (decodeOrMalformed(NODE, w.subarray(0, n)) !== undefined) decoded++;
    // Six top-level fields (data, count, tags ×2, child, far): the empty prefix and the ends of the
    // first five decode, every other strict prefix cuts inside a field.
    assert.equal(decoded, 6);
  });

  test('flipping any single byte gives a value or MalformedInput, nothing else', () => {
    for (let i = 0; i < wire.length; i++) {
      for (const x of [0x01, 0x02, 0x04, 0x07, 0x08, 0x10, 0x40, 0x80, 0xff]) {
        const damaged = wire.slice();
        damaged[i] ^= x;
        decodeOrMalformed(ATTESTATION_REQUEST, damaged);
      }
      for (const b of [0x00, 0x7f, 0x80, 0xff]) {
        const damaged = wire.slice();
        damaged[i] = b;
        decodeOrMalformed(ATTESTATION_REQUEST, damaged);
      }
    }
  });

  test('random splices into valid encodings give a value or MalformedInput, and any value re-encodes', () => {
    fc.assert(
      fc.property(
        node,
        fc.array(fc.record({ at: fc.nat(), remove: fc.nat({ max: 3 }), insert: fc.uint8Array({ maxLength: 4 }) }), { minLength: 1, maxLength: 4 }),
        (value, edits) => {
          let w = encodeMessage(NODE, value);
          for (const e of edits) {
            const at = w.length === 0 ? 0 : e.at % (w.length + 1);
            w = concat(w.subarray(0, at), e.insert, w.subarray(Math.min(w.length, at + e.remove)));
          }
          const v = decodeOrMalformed(NODE, w);
          if (v !== undefined) encodeMessage(NODE, v);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('protobuf decoding under fuzzing', () => {
  const schemas = [
    ATTESTATION_REQUEST,
    INDIVIDUAL_ATTESTATION_REQUEST,
    ATTESTATION_RESPONSE,
    SET_POLICY_REQUEST,
    SET_POLICY_RESPONSE,
    CHALLENGE_REQUEST,
    CHALLENGE_RESPONSE,
    REFERENCE_VALUE_QUERY_REQUEST,
    REFERENCE_VALUE_QUERY_RESPONSE,
    REFERENCE_VALUE_REGISTER_REQUEST,
    REFERENCE_VALUE_REGISTER_RESPONSE,
    NODE,
  ];

  for (const schema of schemas) {
    test(`arbitrary bytes decoded as ${schema.name} only ever throw MalformedInput, and any value re-encodes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
          const v = decodeOrMalformed(schema, input);
          if (v !== undefined) encodeMessage(schema, v);
        }),
        { numRuns: 3000 },
      );
    });
  }

  test('byte strings built from plausible tags and lengths only ever throw MalformedInput', () => {
    // Random bytes rarely form nested structure; these are sequences of (tag, length, payload) pieces.
    const piece = fc.oneof(
      fc.record({ no: fc.integer({ min: 0, max: 12 }), wt: fc.integer({ min: 0, max: 7 }) }).map(({ no, wt }) => new Uint8Array([(no << 3) | wt])),
      fc.integer({ min: 0, max: 40 }).map((n) => new Uint8Array([n])),
      fc.uint8Array({ maxLength: 6 }),
      fc.constant(bytes('4a')),
      fc.constant(bytes('0a')),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const input = concat(...pieces);
        for (const schema of [NODE, ATTESTATION_REQUEST, CHALLENGE_REQUEST]) {
          const v = decodeOrMalformed(schema, input);
          if (v !== undefined) encodeMessage(schema, v);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
