/**
 * Shared pieces of the protobuf codec tests (src/protocol/protobuf*.test.ts): hex helpers, a test-only
 * schema covering every field kind, and fast-check arbitraries that produce values in decoded form.
 * @module
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MalformedInput, toHex } from '../../src/core/index.js';
import { decodeMessage, type FieldSpec, type MessageSchema, type ProtoMessage } from '../../src/protocol/protobuf.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Bytes from hex, spaces allowed; always a plain Uint8Array (not a Buffer). */
export function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Assert that `fn` throws a `MalformedInput` (with `where` equal to `where`, when given). */
export function throwsMalformed(fn: () => unknown, where?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MalformedInput, `expected MalformedInput, got ${String(e)}`);
    if (where !== undefined) assert.equal(e.where, where);
    return true;
  });
}

/** Decode `input`: a value, or `undefined` when it threw `MalformedInput`; any other error fails the test. */
export function decodeOrMalformed(schema: MessageSchema, input: Uint8Array): ProtoMessage | undefined {
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

export const nodeFields: FieldSpec[] = [
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
export const NODE: MessageSchema = { name: 'test.Node', fields: nodeFields };
for (const f of nodeFields) if (f.type === 'message') f.message = NODE;

/** The decoded form of an empty `test.Node`. */
export function emptyNode(): ProtoMessage {
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
export function chain(levels: number): ProtoMessage {
  let v: ProtoMessage = {};
  for (let i = 0; i < levels; i++) v = { child: v };
  return v;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries. Each produces values in exactly the form `decodeMessage` returns (every field present),
// so a round trip can be compared with deepStrictEqual.

/** Well-formed Unicode strings (no lone surrogates), sometimes with a leading U+FEFF. */
export const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 8 }).map((s) => `\uFEFF${s}`));

/** Plain-prototype string maps, the key `__proto__` included (Object.fromEntries makes it an own key). */
export const stringMap = fc
  .dictionary(fc.oneof(text, fc.constant('__proto__')), text, { maxKeys: 4, noNullPrototype: true })
  .map((d) => Object.fromEntries(Object.entries(d)) as Record<string, string>);

export const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
export const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

export const individualRequest: fc.Arbitrary<ProtoMessage> = fc
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

export const attestationRequest: fc.Arbitrary<ProtoMessage> = fc.record(
  {
    verification_requests: fc.array(individualRequest, { maxLength: 4 }),
    policy_ids: fc.array(text, { maxLength: 4 }),
  },
  { noNullPrototype: true },
);

export function nodeArb(depth: number): fc.Arbitrary<ProtoMessage> {
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
export const node = nodeArb(3);

