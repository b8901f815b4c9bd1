/**
 * Tests for the schema-driven proto3 codec: exact wire bytes for hand-computed vectors, round trips
 * of random values, proto3 defaults and presence, unknown fields, and — since everything decoded is
 * untrusted — that every decoding failure is a `MalformedInput` naming the message or field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MalformedInput, toHex } from '../core/index.js';
import {
  ATTESTATION_REQUEST,
  ATTESTATION_RESPONSE,
  CHALLENGE_REQUEST,
  CHALLENGE_RESPONSE,
  INDIVIDUAL_ATTESTATION_REQUEST,
  REFERENCE_VALUE_QUERY_RESPONSE,
  SET_POLICY_REQUEST,
  SET_POLICY_RESPONSE,
} from './as-grpc.js';
import { decodeMessage, encodeMessage, type MessageSchema, type ProtoMessage } from './protobuf.js';
import {
  bytes,
  concat,
  throwsMalformed,
  NODE,
  emptyNode,
  chain,
} from '../../test/support/protobuf.js';

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
