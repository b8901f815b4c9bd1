/**
 * Tests for the schema-driven proto3 codec: exact wire bytes for hand-computed vectors, round trips
 * of random values, proto3 defaults and presence, unknown fields, and — since everything decoded is
 * untrusted — that every decoding failure is a `MalformedInput` naming the message or field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../core/index.js';
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
import { decodeMessage, encodeMessage, type FieldSpec, type MessageSchema, type ProtoMessage } from './protobuf.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Bytes from hex, spaces allowed; always a plain Uint8Array (not a Buffer). */
function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Assert that `fn` throws a `MalformedInput` (with `where` equal to `where`, when given). */
function throwsMalformed(fn: () => unknown, where?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
    if (where !== undefined) assert.equal(e.where, where);
    return true;
  });
}

/** Decode `input`: a value, or `undefined` when it threw `MalformedInput`; any other error fails the test. */
function decodeOrMalformed(schema: MessageSchema, input: Uint8Array): ProtoMessage | undefined {
  try {
    return decodeMessage(schema, input);
  } catch (e) {
    assert.ok(e instanceof MalformedInput, `${schema.name} on ${toHex(input)}: unexpected ${String(e)}`);
    assert.equal(typeof e.where, 'string', 'a MalformedInput from the decoder says where');
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// A test-only schema: bytes, bool, uint32, presence fields, a oneof, a map, repeated fields and a
// self-recursive message (for the depth limit). The field with the largest legal number (2^29 - 1)
// exercises multi-byte tags.

const nodeFields: FieldSpec[] = [
  { no: 1, name: 'data', type: 'bytes' },
  { no: 2, name: 'flag', type: 'bool' },
  { no: 3, name: 'count', type: 'uint32' },
  { no: 4, name: 'label', type: 'string', optional: true },
  { no: 5, name: 'maybe_count', type: 'uint32', optional: true },
  { no: 6, name: 'tags', type: 'string', repeated: true },
  { no: 7, name: 'num', type: 'uint32', oneof: 'pick' },
  { no: 8, name: 'text', type: 'string', oneof: 'pick' },
  { no: 9, name: 'child', type: 'message' },
  { no: 10, name: 'children', type: 'message', repeated: true },
  { no: 11, name: 'attrs', type: 'map' },
  { no: 536_870_911, name: 'far', type: 'bool' },
];
const NODE: MessageSchema = { name: 'test.Node', fields: nodeFields };
for (const f of nodeFields) if (f.type === 'message') f.message = NODE;

/** The decoded form of an empty `test.Node`. */
function emptyNode(): ProtoMessage {
  return {
    data: new Uint8Array(0),
    flag: false,
    count: 0,
    label: undefined,
    maybe_count: undefined,
    tags: [],
    num: undefined,
    text: undefined,
    child: undefined,
    children: [],
    attrs: {},
    far: false,
  };
}

/** `levels` messages nested through `child` below a top-level `test.Node`. */
function chain(levels: number): ProtoMessage {
  let v: ProtoMessage = {};
  for (let i = 0; i < levels; i++) v = { child: v };
  return v;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries. Each produces values in exactly the form `decodeMessage` returns (every field present),
// so a round trip can be compared with deepStrictEqual.

/** Well-formed Unicode strings (no lone surrogates), sometimes with a leading U+FEFF. */
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 8 }).map((s) => `\uFEFF${s}`));

/** Plain-prototype string maps, the key `__proto__` included (Object.fromEntries makes it an own key). */
const stringMap = fc
  .dictionary(fc.oneof(text, fc.constant('__proto__')), text, { maxKeys: 4, noNullPrototype: true })
  .map((d) => Object.fromEntries(Object.entries(d)) as Record<string, string>);

const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const individualRequest: fc.Arbitrary<ProtoMessage> = fc
  .record({
    tee: fc.oneof(text, fc.constantFrom('tdx', 'snp', 'sample', 'az-tdx-vtpm')),
    evidence: text,
    runtime: fc.oneof(
      fc.constant({ raw_runtime_data: undefined, structured_runtime_data: undefined }),
      text.map((s) => ({ raw_runtime_data: s, structured_runtime_data: undefined })),
      text.map((s) => ({ raw_runtime_data: undefined, structured_runtime_data: s })),
    ),
    init: fc.oneof(
      fc.constant({ init_data_digest: undefined, init_data_toml: undefined }),
      text.map((s) => ({ init_data_digest: s, init_data_toml: undefined })),
      text.map((s) => ({ init_data_digest: undefined, init_data_toml: s })),
    ),
    runtime_data_hash_algorithm: fc.oneof(fc.constantFrom('', 'sha256', 'sha384', 'sha512'), text),
  })
  .map(({ runtime, init, ...rest }) => ({ ...rest, ...runtime, ...init }));

const attestationRequest: fc.Arbitrary<ProtoMessage> = fc.record(
  {
    verification_requests: fc.array(individualRequest, { maxLength: 4 }),
    policy_ids: fc.array(text, { maxLength: 4 }),
  },
  { noNullPrototype: true },
);

function nodeArb(depth: number): fc.Arbitrary<ProtoMessage> {
  const sub = depth > 0 ? nodeArb(depth - 1) : undefined;
  return fc
    .record({
      data: fc.uint8Array({ maxLength: 40 }),
      flag: fc.boolean(),
      count: uint32,
      label: opt(text),
      maybe_count: opt(uint32),
      tags: fc.array(text, { maxLength: 3 }),
      pick: fc.oneof(
        fc.constant({ num: undefined, text: undefined }),
        uint32.map((n) => ({ num: n, text: undefined })),
        text.map((s) => ({ num: undefined, text: s })),
      ),
      child: sub ? opt(sub) : fc.constant(undefined),
      children: sub ? fc.array(sub, { maxLength: 2 }) : fc.constant([]),
      attrs: stringMap,
      far: fc.boolean(),
    })
    .map(({ pick, ...rest }) => ({ ...rest, ...pick }));
}
const node = nodeArb(3);

// ---------------------------------------------------------------------------------------------

describe('protobuf encoding', () => {
  test('a string field is tag, length and UTF-8 bytes', () => {
    assert.equal(toHex(encodeMessage(ATTESTATION_RESPONSE, { attestation_token: 'abc' })), '0a03616263');
    assert.equal(toHex(encodeMessage(CHALLENGE_RESPONSE, { attestation_challenge: 'é' })), '0a02c3a9');
    assert.equal(toHex(encodeMessage(SET_POLICY_REQUEST, { policy_id: 'p', policy: 'q' })), '0a01701201' + '71');
  });

  test('a map entry is a nested message of key (field 1) and value (field 2)', () => {
    assert.equal(toHex(encodeMessage(CHALLENGE_REQUEST, { inner: { a: 'b' } })), '0a06' + '0a0161' + '120162');
    // Two entries are two occurrences of the map field, in insertion order.
    assert.equal(toHex(encodeMessage(CHALLENGE_REQUEST, { inner: { a: 'b', c: 'd' } })), '0a060a0161120162' + '0a060a0163120164');
    // Inside the entry, proto3 defaults are left out like anywhere else.
    assert.equal(toHex(encodeMessage(CHALLENGE_REQUEST, { inner: { k: '' } })), '0a03' + '0a016b');
    assert.equal(toHex(encodeMessage(CHALLENGE_REQUEST, { inner: { '': 'v' } })), '0a03' + '120176');
    assert.equal(toHex(encodeMessage(CHALLENGE_REQUEST, { inner: {} })), '');
  });

  test('uint32, bool and bytes use the varint and length-delimited wire types', () => {
    assert.equal(toHex(encodeMessage(NODE, { count: 300 })), '18ac02');
    assert.equal(toHex(encodeMessage(NODE, { count: 1 })), '1801');
    assert.equal(toHex(encodeMessage(NODE, { count: 127 })), '187f');
    assert.equal(toHex(encodeMessage(NODE, { count: 128 })), '188001');
    assert.equal(toHex(encodeMessage(NODE, { count: 0xffff_ffff })), '18ffffffff0f');
    assert.equal(toHex(encodeMessage(NODE, { flag: true })), '1001');
    assert.equal(toHex(encodeMessage(NODE, { data: new Uint8Array([1, 2, 3]) })), '0a03010203');
  });

  test('the largest field number gives a five-byte tag', () => {
    // (2^29 - 1) << 3 | 0 = 0xfffffff8
    assert.equal(toHex(encodeMessage(NODE, { far: true })), 'f8ffffff0f01');
  });

  test('fields are written in schema order, repeated fields as one occurrence per item', () => {
    const wire = encodeMessage(ATTESTATION_REQUEST, {
      policy_ids: ['x', 'y'],
      verification_requests: [{ tee: 't' }, {}],
    });
    assert.equal(toHex(wire), '0a030a0174' + '0a00' + '120178' + '120179');
  });

  test('proto3 defaults are left out, but presence fields set to a default are written', () => {
    assert.equal(toHex(encodeMessage(ATTESTATION_RESPONSE, { attestation_token: '' })), '');
    assert.equal(toHex(encodeMessage(NODE, { data: new Uint8Array(0), flag: false, count: 0, tags: [], children: [], attrs: {} })), '');
    assert.equal(toHex(encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { tee: '', evidence: '', runtime_data_hash_algorithm: '' })), '');
    // `optional` fields keep presence:
    assert.equal(toHex(encodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, { reference_value_results: '' })), '0a00');
    assert.equal(toHex(encodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, {})), '');
    assert.equal(toHex(encodeMessage(NODE, { label: '' })), '2200');
    assert.equal(toHex(encodeMessage(NODE, { maybe_count: 0 })), '2800');
    // … and so do oneof members.
    assert.equal(toHex(encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { raw_runtime_data: '' })), '2200');
    assert.equal(toHex(encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { init_data_toml: '' })), '3a00');
    assert.equal(toHex(encodeMessage(NODE, { num: 0 })), '3800');
    assert.equal(toHex(encodeMessage(NODE, { text: '' })), '4200');
    // An empty nested message is present, as an empty length-delimited field.
    assert.equal(toHex(encodeMessage(NODE, { child: {} })), '4a00');
  });

  test('undefined fields are left out', () => {
    assert.equal(toHex(encodeMessage(NODE, { label: undefined, num: undefined, child: undefined })), '');
  });

  test('values larger than the writer buffer are written in full', () => {
    const data = new Uint8Array(70_000).map((_, i) => i % 251);
    const wire = encodeMessage(NODE, { data, tags: ['after'], count: 300 });
    // 70000 = varint f0 a2 04
    assert.equal(toHex(wire.subarray(0, 4)), '0af0a204');
    assert.deepEqual(wire.subarray(4, 4 + data.length), data);
    assert.equal(toHex(wire.subarray(4 + data.length)), '18ac02' + '32056166746572');
    const ids = Array.from({ length: 500 }, (_, i) => `policy-${i}`);
    const many = encodeMessage(ATTESTATION_REQUEST, { policy_ids: ids });
    assert.deepEqual(decodeMessage(ATTESTATION_REQUEST, many).policy_ids, ids);
  });

  test('refuses values of the wrong JavaScript type, naming the field', () => {
    throwsMalformed(() => encodeMessage(ATTESTATION_RESPONSE, { attestation_token: 5 }), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => encodeMessage(ATTESTATION_RESPONSE, { attestation_token: null }), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => encodeMessage(NODE, { data: 'AQID' }), 'test.Node.data');
    throwsMalformed(() => encodeMessage(NODE, { data: [1, 2, 3] }), 'test.Node.data');
    throwsMalformed(() => encodeMessage(NODE, { flag: 1 }), 'test.Node.flag');
    throwsMalformed(() => encodeMessage(NODE, { flag: 'true' }), 'test.Node.flag');
    for (const bad of [-1, 1.5, 2 ** 32, NaN, Infinity, '1', 1n]) {
      throwsMalformed(() => encodeMessage(NODE, { count: bad }), 'test.Node.count');
      throwsMalformed(() => encodeMessage(NODE, { maybe_count: bad }), 'test.Node.maybe_count');
    }
    throwsMalformed(() => encodeMessage(NODE, { child: 'x' }), 'test.Node.child');
    throwsMalformed(() => encodeMessage(NODE, { child: null }), 'test.Node.child');
    throwsMalformed(() => encodeMessage(NODE, { child: [] }), 'test.Node.child');
    throwsMalformed(() => encodeMessage(NODE, { children: {} }), 'test.Node.children');
    throwsMalformed(() => encodeMessage(NODE, { children: [{}, 3] }), 'test.Node.children');
    throwsMalformed(() => encodeMessage(NODE, { tags: 'a' }), 'test.Node.tags');
    throwsMalformed(() => encodeMessage(NODE, { tags: ['a', 1] }), 'test.Node.tags');
    throwsMalformed(() => encodeMessage(CHALLENGE_REQUEST, { inner: [] }), 'attestation.ChallengeRequest.inner');
    throwsMalformed(() => encodeMessage(CHALLENGE_REQUEST, { inner: null }), 'attestation.ChallengeRequest.inner');
    throwsMalformed(() => encodeMessage(CHALLENGE_REQUEST, { inner: 'a=b' }), 'attestation.ChallengeRequest.inner');
    throwsMalformed(() => encodeMessage(CHALLENGE_REQUEST, { inner: { a: 1 } }));
    // A wrong type deep inside is reported where it is.
    throwsMalformed(
      () => encodeMessage(ATTESTATION_REQUEST, { verification_requests: [{ tee: 'tdx' }, { evidence: 7 }] }),
      'attestation.IndividualAttestationRequest.evidence',
    );
  });

  test('refuses wrong-typed values even when they equal the default of another type', () => {
    // A falsy value of another type ('' / 0 / false) is not the field's default: it is refused, not left out.
    const cases: [MessageSchema, string, unknown][] = [
      [ATTESTATION_RESPONSE, 'attestation_token', 0],
      [ATTESTATION_RESPONSE, 'attestation_token', false],
      [NODE, 'flag', 0],
      [NODE, 'flag', ''],
      [NODE, 'count', false],
      [NODE, 'count', ''],
      [NODE, 'data', ''],
      [NODE, 'data', 0],
      [NODE, 'data', false],
    ];
    const missed: string[] = [];
    for (const [schema, field, value] of cases) {
      try {
        encodeMessage(schema, { [field]: value });
        missed.push(`${schema.name}.${field} = ${JSON.stringify(value)}`);
      } catch (e) {
        assert.ok(e instanceof MalformedInput, String(e));
        assert.equal(e.where, `${schema.name}.${field}`);
      }
    }
    // The same through a map value (the entry is encoded with the same rule).
    for (const value of [0, false]) {
      try {
        encodeMessage(CHALLENGE_REQUEST, { inner: { k: value } });
        missed.push(`attestation.ChallengeRequest.inner["k"] = ${JSON.stringify(value)}`);
      } catch (e) {
        assert.ok(e instanceof MalformedInput, String(e));
      }
    }
    assert.deepEqual(missed, [], 'encoded without complaint');
  });

  test('refuses two members of one oneof, even when both are empty', () => {
    throwsMalformed(
      () => encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { raw_runtime_data: 'a', structured_runtime_data: '{}' }),
      'attestation.IndividualAttestationRequest.structured_runtime_data',
    );
    throwsMalformed(
      () => encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { init_data_digest: '', init_data_toml: '' }),
      'attestation.IndividualAttestationRequest.init_data_toml',
    );
    throwsMalformed(() => encodeMessage(NODE, { num: 0, text: '' }), 'test.Node.text');
    // One member of each of two different oneofs is fine, and so is an undefined second member.
    assert.equal(
      toHex(encodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, { raw_runtime_data: 'r', structured_runtime_data: undefined, init_data_digest: 'd' })),
      '220172' + '320164',
    );
  });
});

describe('protobuf decoding', () => {
  test('decodes hand-computed vectors', () => {
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, bytes('0a 03 61 62 63')), { attestation_token: 'abc' });
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a06 0a0161 120162 0a06 0a0163 120164')), { inner: { a: 'b', c: 'd' } });
    assert.deepEqual(decodeMessage(NODE, bytes('18 ac 02')), { ...emptyNode(), count: 300 });
    assert.deepEqual(decodeMessage(NODE, bytes('f8ffffff0f 01')), { ...emptyNode(), far: true });
    assert.deepEqual(decodeMessage(NODE, bytes('0a 03 010203 1001')), { ...emptyNode(), data: new Uint8Array([1, 2, 3]), flag: true });
  });

  test('absent fields take their proto3 defaults; presence fields are undefined', () => {
    assert.deepEqual(decodeMessage(NODE, new Uint8Array(0)), emptyNode());
    assert.deepEqual(decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, new Uint8Array(0)), {
      tee: '',
      evidence: '',
      raw_runtime_data: undefined,
      structured_runtime_data: undefined,
      init_data_digest: undefined,
      init_data_toml: undefined,
      runtime_data_hash_algorithm: '',
    });
    assert.deepEqual(decodeMessage(ATTESTATION_REQUEST, new Uint8Array(0)), { verification_requests: [], policy_ids: [] });
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, new Uint8Array(0)), { inner: {} });
    assert.deepEqual(decodeMessage(SET_POLICY_RESPONSE, new Uint8Array(0)), {});
    assert.deepEqual(decodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, new Uint8Array(0)), { reference_value_results: undefined });
    // Present but empty is not absent.
    assert.deepEqual(decodeMessage(REFERENCE_VALUE_QUERY_RESPONSE, bytes('0a00')), { reference_value_results: '' });
    assert.deepEqual(decodeMessage(NODE, bytes('2200 2800 4a00')), { ...emptyNode(), label: '', maybe_count: 0, child: emptyNode() });
    // Explicit defaults on the wire decode to the defaults.
    assert.deepEqual(decodeMessage(NODE, bytes('0a00 1000 1800')), emptyNode());
  });

  test('a map entry with a missing key or value decodes them as empty strings; a repeated key keeps the last value', () => {
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a03 0a016b')), { inner: { k: '' } });
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a03 120176')), { inner: { '': 'v' } });
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a00')), { inner: { '': '' } });
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a06 0a016b 120131 0a06 0a016b 120132')), { inner: { k: '2' } });
    // Unknown fields inside an entry are skipped too.
    assert.deepEqual(decodeMessage(CHALLENGE_REQUEST, bytes('0a08 0a016b 1801 120176')), { inner: { k: 'v' } });
  });

  test('a map key named __proto__ is kept as an ordinary key', () => {
    // Assigned to a plain object, the entry would go to the `__proto__` setter and vanish.
    const wire = bytes('0a0e 0a095f5f70726f746f5f5f 120178');
    const inner = decodeMessage(CHALLENGE_REQUEST, wire).inner as Record<string, string>;
    assert.deepEqual(Object.keys(inner), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(inner, '__proto__')?.value, 'x');
    // The encoder writes such a key (from JSON.parse) so the round trip must keep it.
    const value = JSON.parse('{"inner":{"__proto__":"x","a":"b"}}') as ProtoMessage;
    assert.deepEqual(Object.keys(decodeMessage(CHALLENGE_REQUEST, encodeMessage(CHALLENGE_REQUEST, value)).inner as object), ['__proto__', 'a']);
  });

  test('a non-repeated scalar given twice keeps the last value; repeated fields keep every occurrence in order', () => {
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, bytes('0a0161 0a0162')), { attestation_token: 'b' });
    assert.deepEqual(decodeMessage(NODE, bytes('1801 1802')), { ...emptyNode(), count: 2 });
    assert.deepEqual(decodeMessage(ATTESTATION_REQUEST, bytes('120161 0a00 120162')), {
      verification_requests: [decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, new Uint8Array(0))],
      policy_ids: ['a', 'b'],
    });
  });

  test('a oneof keeps the last member on the wire and clears the others', () => {
    const raw = '220172'; // raw_runtime_data = 'r'
    const structured = '2a027b7d'; // structured_runtime_data = '{}'
    const digest = '320164'; // init_data_digest = 'd'
    const toml = '3a0174'; // init_data_toml = 't'
    const a = decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, bytes(raw + structured));
    assert.equal(a.raw_runtime_data, undefined);
    assert.equal(a.structured_runtime_data, '{}');
    const b = decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, bytes(structured + raw));
    assert.equal(b.raw_runtime_data, 'r');
    assert.equal(b.structured_runtime_data, undefined);
    // Another oneof in the same message is untouched.
    const c = decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, bytes(digest + raw + toml + structured));
    assert.deepEqual(
      [c.raw_runtime_data, c.structured_runtime_data, c.init_data_digest, c.init_data_toml],
      [undefined, '{}', undefined, 't'],
    );
    // The same member twice: the last value.
    assert.equal(decodeMessage(INDIVIDUAL_ATTESTATION_REQUEST, bytes(raw + '220173')).raw_runtime_data, 's');
    // Members of different types, and an empty member still counts as set.
    assert.deepEqual(decodeMessage(NODE, bytes('3805 4200')), { ...emptyNode(), text: '' });
    assert.deepEqual(decodeMessage(NODE, bytes('4200 3800')), { ...emptyNode(), num: 0 });
    // Non-member fields in between change nothing.
    assert.deepEqual(decodeMessage(NODE, bytes('4201 78 1801 3807')), { ...emptyNode(), count: 1, num: 7 });
  });

  test('skips unknown fields of wire types 0, 1, 2 and 5', () => {
    const varint = '10 96 01'; // field 2, varint 150
    const i64 = '11 0102030405060708'; // field 2, fixed64
    const len = '22 03 ffffff'; // field 4, 3 bytes (not UTF-8, not looked at)
    const i32 = '2d 01020304'; // field 5, fixed32
    const tenByteVarint = '30 ffffffffffffffffff01'; // field 6
    const bigField = 'f8ffffff0f 00'; // field 2^29 - 1, varint
    const known = '0a03616263';
    for (const wire of [
      varint + known,
      known + varint,
      i64 + known + len,
      [varint, i64, known, len, i32, tenByteVarint, bigField].join(''),
      i32 + '0a0178' + tenByteVarint + known,
    ]) {
      assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, bytes(wire)), { attestation_token: 'abc' }, wire);
    }
    // Only unknown fields: all defaults.
    assert.deepEqual(decodeMessage(SET_POLICY_RESPONSE, bytes(varint + i64 + len + i32)), {});
    // Unknown fields inside nested messages are skipped as well.
    const inner = '0a0174' + i64 + '4a00' + '1a0165'; // tee 't', unknown 2 (fixed64), unknown 9 (len 0), evidence 'e'
    const wire = '0a' + (inner.replace(/\s+/g, '').length / 2).toString(16).padStart(2, '0') + inner;
    const v = decodeMessage(ATTESTATION_REQUEST, bytes(wire));
    assert.deepEqual((v.verification_requests as ProtoMessage[]).map((r) => [r.tee, r.evidence]), [['t', 'e']]);
  });

  test('refuses groups (wire types 3 and 4) and the undefined wire types 6 and 7, naming the field number', () => {
    for (const [tag, field] of [['13', 2], ['1c', 3], ['16', 2], ['1f', 3], ['0b', 1], ['0c', 1]] as const) {
      // Field 1 is known (a string) and a wrong wire type for it; 2 and 3 are unknown.
      const where = field === 1 ? 'attestation.AttestationResponse.attestation_token' : `attestation.AttestationResponse.#${field}`;
      throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes(tag)), where);
      throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a0161' + tag + '0a0161')), where);
    }
    // Even a well-formed start-group/end-group pair is refused.
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('13 0801 14')), 'attestation.AttestationResponse.#2');
  });

  test('refuses a truncated unknown field', () => {
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('19 01020304050607')), 'attestation.AttestationResponse.#3');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('2d 010203')), 'attestation.AttestationResponse.#5');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('22 05 0102')), 'attestation.AttestationResponse.#4');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('22')), 'attestation.AttestationResponse.#4');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('10 80')), 'attestation.AttestationResponse.#2');
  });

  test('accepts a 10-byte varint and refuses an 11-byte one', () => {
    // 1 padded to ten bytes.
    assert.equal(decodeMessage(NODE, bytes('18 81808080808080808000')).count, 1);
    throwsMalformed(() => decodeMessage(NODE, bytes('18 8180808080808080808000')), 'test.Node.count');
    // As a tag, and as a length.
    throwsMalformed(() => decodeMessage(NODE, bytes('ffffffffffffffffffff01')), 'test.Node');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a ffffffffffffffffffff01')), 'attestation.AttestationResponse.attestation_token');
    // As an unknown varint field.
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('10 ffffffffffffffffffff01')), 'attestation.AttestationResponse.#2');
  });

  test('a varint cut off at the end is refused', () => {
    throwsMalformed(() => decodeMessage(NODE, bytes('18 ac')), 'test.Node.count');
    throwsMalformed(() => decodeMessage(NODE, bytes('f8ffff')), 'test.Node');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a')), 'attestation.AttestationResponse.attestation_token');
  });

  test('uint32 keeps the low 32 bits of a wider varint', () => {
    // 2^32 + 5
    assert.equal(decodeMessage(NODE, bytes('18 8580808010')).count, 5);
    // 2^35 - 1
    assert.equal(decodeMessage(NODE, bytes('18 ffffffff7f')).count, 0xffff_ffff);
    // 2^64 - 1, the ten-byte varint other encoders write for an int32 of -1: the low 32 bits are all ones.
    assert.equal(decodeMessage(NODE, bytes('18 ffffffffffffffffff01')).count, 0xffff_ffff);
    // 2^63 + 1
    assert.equal(decodeMessage(NODE, bytes('18 81808080808080808001')).count, 1);
  });

  test('a bool is true for any non-zero varint', () => {
    assert.equal(decodeMessage(NODE, bytes('1002')).flag, true);
    assert.equal(decodeMessage(NODE, bytes('10 8080808010')).flag, true);
    assert.equal(decodeMessage(NODE, bytes('10 8000')).flag, false);
  });

  test('refuses a length that runs past the end, naming the field', () => {
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a 04 616263')), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a ffffffff0f 616263')), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => decodeMessage(NODE, bytes('0a 01')), 'test.Node.data');
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a 05 0a0174')), 'attestation.AttestationRequest.verification_requests');
    throwsMalformed(() => decodeMessage(CHALLENGE_REQUEST, bytes('0a 07 0a0161 120162')), 'attestation.ChallengeRequest.inner');
    // A nested length must stay inside its parent even when the whole buffer is long enough.
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a 02 0a05 7464787878 120161')), 'attestation.IndividualAttestationRequest.tee');
  });

  test('refuses a known field with the wrong wire type, naming the field', () => {
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('08 01')), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0d 00000000')), 'attestation.AttestationResponse.attestation_token');
    throwsMalformed(() => decodeMessage(NODE, bytes('1a 01 05')), 'test.Node.count');
    throwsMalformed(() => decodeMessage(NODE, bytes('11 0000000000000000')), 'test.Node.flag');
    throwsMalformed(() => decodeMessage(NODE, bytes('08 01')), 'test.Node.data');
    throwsMalformed(() => decodeMessage(NODE, bytes('48 00')), 'test.Node.child');
    throwsMalformed(() => decodeMessage(CHALLENGE_REQUEST, bytes('08 01')), 'attestation.ChallengeRequest.inner');
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('10 01')), 'attestation.AttestationRequest.policy_ids');
    // Inside a nested message, the nested field is named.
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a02 0801')), 'attestation.IndividualAttestationRequest.tee');
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a00 0a02 2001')), 'attestation.IndividualAttestationRequest.raw_runtime_data');
  });

  test('refuses a string that is not valid UTF-8, naming the field', () => {
    for (const bad of ['ff', 'c0 80', 'ed a0 80', 'e2 82', 'f4 90 80 80', '61 80 62']) {
      const b = bytes(bad);
      const wire = concat(bytes('0a'), new Uint8Array([b.length]), b);
      throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, wire), 'attestation.AttestationResponse.attestation_token');
    }
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('1201ff')), 'attestation.AttestationRequest.policy_ids');
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a03 1a01ff')), 'attestation.IndividualAttestationRequest.evidence');
    throwsMalformed(() => decodeMessage(NODE, bytes('4201ff')), 'test.Node.text');
    // In a map entry.
    throwsMalformed(() => decodeMessage(CHALLENGE_REQUEST, bytes('0a03 0a01ff')));
    // Bytes fields are not checked.
    assert.deepEqual(decodeMessage(NODE, bytes('0a01ff')).data, new Uint8Array([0xff]));
  });

  test('keeps a leading U+FEFF in a string', () => {
    // A TextDecoder strips a leading byte order mark unless ignoreBOM is set.
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, bytes('0a06 efbbbf616263')), { attestation_token: '\uFEFFabc' });
    const value = { attestation_token: '\uFEFF' };
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, encodeMessage(ATTESTATION_RESPONSE, value)), value);
  });

  test('accepts messages nested 32 deep below the top level and refuses 33', () => {
    // The top-level message is depth 0; the limit applies to the depth of a nested message.
    const ok = encodeMessage(NODE, chain(32));
    let levels = 0;
    for (let v = decodeMessage(NODE, ok).child as ProtoMessage | undefined; v; v = v.child as ProtoMessage | undefined) levels++;
    assert.equal(levels, 32);
    throwsMalformed(() => decodeMessage(NODE, encodeMessage(NODE, chain(33))), 'test.Node');
    throwsMalformed(() => decodeMessage(NODE, encodeMessage(NODE, chain(200))), 'test.Node');
    // Through repeated fields too.
    let deep: ProtoMessage = {};
    for (let i = 0; i < 33; i++) deep = { children: [{}, deep] };
    throwsMalformed(() => decodeMessage(NODE, encodeMessage(NODE, deep)), 'test.Node');
  });

  test('a deeply nested input hand-made on the wire is refused without exhausting the stack', () => {
    // 20,000 levels of `child` (field 9, wire type 2): each level is the tag 4a and a length varint.
    const levels = 20_000;
    const varint = (n: number): number[] => {
      const out: number[] = [];
      for (; n >= 0x80; n = Math.floor(n / 0x80)) out.push((n % 0x80) | 0x80);
      out.push(n);
      return out;
    };
    // Lengths from the innermost (empty) message outwards.
    const lengths = [0];
    for (let i = 1; i < levels; i++) lengths.push(lengths[i - 1]! + 1 + varint(lengths[i - 1]!).length);
    const wire: number[] = [];
    for (let i = levels - 1; i >= 0; i--) wire.push(0x4a, ...varint(lengths[i]!));
    throwsMalformed(() => decodeMessage(NODE, new Uint8Array(wire)), 'test.Node');
  });

  test('refuses field number 0', () => {
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('00')), 'attestation.AttestationResponse');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('02 00')), 'attestation.AttestationResponse');
    throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bytes('0a0161 05 00000000')), 'attestation.AttestationResponse');
    // Padded tag of zero.
    throwsMalformed(() => decodeMessage(SET_POLICY_RESPONSE, bytes('8000')), 'attestation.SetPolicyResponse');
    // Inside a nested message.
    throwsMalformed(() => decodeMessage(ATTESTATION_REQUEST, bytes('0a02 0000')), 'attestation.IndividualAttestationRequest');
  });

  test('refuses input that is not a Uint8Array', () => {
    for (const bad of ['0a03616263', [10, 3, 97, 98, 99], new Uint8Array([10]).buffer, new Int8Array(1), new Uint16Array(1), null, undefined, {}]) {
      throwsMalformed(() => decodeMessage(ATTESTATION_RESPONSE, bad as unknown as Uint8Array), 'attestation.AttestationResponse');
    }
  });

  test('accepts a Buffer and a Uint8Array view at an offset', () => {
    const backing = bytes('ffff 0a03616263 ffff');
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, backing.subarray(2, 7)), { attestation_token: 'abc' });
    assert.deepEqual(decodeMessage(ATTESTATION_RESPONSE, Buffer.from('0a03616263', 'hex')), { attestation_token: 'abc' });
  });

  test('decoded bytes fields are copies that do not alias the input, even when the input is a Buffer', () => {
    const plain = bytes('0a02 0102');
    const fromPlain = decodeMessage(NODE, plain).data as Uint8Array;
    plain[2] = 0x63;
    assert.deepEqual(fromPlain, new Uint8Array([1, 2]));
    // Buffer#slice is a view: for Buffer input (what the HTTP/2 transport passes, via Buffer.concat)
    // a slice would alias the request and be a Buffer rather than a Uint8Array.
    const buf = Buffer.from('0a020102', 'hex');
    const fromBuffer = decodeMessage(NODE, buf).data as Uint8Array;
    buf[2] = 0x63;
    assert.deepEqual(fromBuffer, new Uint8Array([1, 2]));
  });
});

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
