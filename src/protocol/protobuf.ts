/**
 * A small proto3 codec for the few messages Trustee exchanges over gRPC (`as-grpc.ts`), driven by a
 * schema written beside each message instead of generated code.
 *
 * Supported field types: `string` (UTF-8, checked), `bytes`, `bool`, `uint32`, nested `message`,
 * `repeated` strings and messages, and `map<string, string>`. Decoding follows proto3: absent scalar
 * fields take their default (`''`, empty bytes, `false`, 0), absent repeated fields are `[]`, absent
 * maps `{}`; fields marked `optional` or members of a `oneof` are `undefined` when absent (presence
 * is kept), and the last member of a `oneof` on the wire wins. A scalar seen twice keeps the last
 * value; a message field seen twice is merged (lists and maps joined), as protobuf specifies. Unknown
 * fields are skipped, as proto3 requires, whatever their wire type (groups excepted: they are refused).
 * Map keys are own properties even when named `__proto__`; decoded bytes never alias the input.
 *
 * Everything read is untrusted: varints longer than 10 bytes, lengths past the end, a wire type that
 * does not match the schema, invalid UTF-8 in a string, field numbers outside 1..2^29-1 and nesting
 * deeper than 32 messages are `MalformedInput` errors naming the field (`where` = `Message.field`).
 * Encoding refuses a value whose JS type does not match its field, and two members of one `oneof`.
 * @module
 */
import { MalformedInput } from '../core/index.js';

export type ScalarType = 'string' | 'bytes' | 'bool' | 'uint32';

export interface FieldSpec {
  /** Field number on the wire. */
  no: number;
  /** Property name in the decoded object (the `.proto` field name). */
  name: string;
  type: ScalarType | 'message' | 'map';
  /** For `message` fields: the nested message's schema. */
  message?: MessageSchema;
  /** A repeated field (strings or messages). */
  repeated?: boolean;
  /** proto3 `optional`, or the name of the `oneof` this field belongs to: presence is kept. */
  optional?: boolean;
  oneof?: string;
}

export interface MessageSchema {
  /** Fully qualified message name, for error messages. */
  name: string;
  fields: readonly FieldSpec[];
}

/** A decoded (or to-be-encoded) message: property per field name. */
export type ProtoMessage = Record<string, unknown>;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const MAX_DEPTH = 32;
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function wireTypeOf(f: FieldSpec): number {
  return f.type === 'bool' || f.type === 'uint32' ? VARINT : LEN;
}

// ---------------------------------------------------------------------------------------------
// Encoding

class Writer {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private at = 0;
  length = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.at));
    this.buf = new Uint8Array(Math.max(256, n));
    this.at = 0;
  }
  varint(v: number): void {
    this.room(10);
    // Values here are lengths, tags and uint32s: below 2^53, so plain arithmetic is exact.
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
      this.length++;
    }
    this.buf[this.at++] = v;
    this.length++;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
    this.length += b.length;
  }
  finish(): Uint8Array {
    this.chunks.push(this.buf.subarray(0, this.at));
    if (this.chunks.length === 1) return this.chunks[0]!.slice();
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

function typeError(schema: MessageSchema, f: FieldSpec, expected: string): never {
  throw new MalformedInput(`${schema.name}.${f.name}: expected ${expected}`, { where: `${schema.name}.${f.name}` });
}

function encodeScalar(w: Writer, schema: MessageSchema, f: FieldSpec, v: unknown): void {
  w.varint(f.no * 8 + wireTypeOf(f));
  switch (f.type) {
    case 'string': {
      if (typeof v !== 'string') typeError(schema, f, 'a string');
      const b = utf8Encoder.encode(v);
      w.varint(b.length);
      w.bytes(b);
      return;
    }
    case 'bytes':
      if (!(v instanceof Uint8Array)) typeError(schema, f, 'bytes');
      w.varint(v.length);
      w.bytes(v);
      return;
    case 'bool':
      if (typeof v !== 'boolean') typeError(schema, f, 'a boolean');
      w.varint(v ? 1 : 0);
      return;
    case 'uint32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) typeError(schema, f, 'a uint32');
      w.varint(v);
      return;
    case 'message': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) typeError(schema, f, 'a message object');
      const inner = encodeMessage(f.message!, v as ProtoMessage);
      w.varint(inner.length);
      w.bytes(inner);
      return;
    }
    case 'map':
      throw new Error('unreachable');
  }
}

/** The proto3 default of the field's own type (a value of another type is not, and is refused when encoded). */
function isDefault(f: FieldSpec, v: unknown): boolean {
  switch (f.type) {
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    case 'uint32':
      return v === 0;
    case 'bytes':
      return v instanceof Uint8Array && v.length === 0;
    default:
      return false;
  }
}

const MAP_ENTRY: MessageSchema = {
  name: 'map entry',
  fields: [
    { no: 1, name: 'key', type: 'string' },
    { no: 2, name: 'value', type: 'string' },
  ],
};

/** Encode `value` as `schema`; undefined fields are left out, as are proto3 defaults outside presence fields. */
export function encodeMessage(schema: MessageSchema, value: ProtoMessage): Uint8Array {
  const w = new Writer();
  const oneofsSet = new Map<string, string>();
  for (const f of schema.fields) {
    const v = value[f.name];
    if (v === undefined) continue;
    if (f.oneof) {
      const other = oneofsSet.get(f.oneof);
      if (other) throw new MalformedInput(`${schema.name}: ${other} and ${f.name} are both set, but only one member of oneof ${f.oneof} may be`, { where: `${schema.name}.${f.name}` });
      oneofsSet.set(f.oneof, f.name);
    }
    if (f.type === 'map') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) typeError(schema, f, 'an object of strings');
      for (const [key, val] of Object.entries(v)) {
        const entry = encodeMessage(MAP_ENTRY, { key, value: val });
        w.varint(f.no * 8 + LEN);
        w.varint(entry.length);
        w.bytes(entry);
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) typeError(schema, f, 'an array');
      for (const item of v) encodeScalar(w, schema, f, item);
    } else if (f.optional || f.oneof || !isDefault(f, v)) {
      encodeScalar(w, schema, f, v);
    }
  }
  return w.finish();
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  readonly b: Uint8Array;
  readonly end: number;
  readonly where: string;
  at: number;
  constructor(b: Uint8Array, end: number, start: number, where: string) {
    this.b = b;
    this.end = end;
    this.at = start;
    this.where = where;
  }
  fail(message: string, where = this.where): never {
    throw new MalformedInput(`${where}: ${message}`, { where });
  }
  varint(where?: string): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) this.fail('varint runs past the end', where);
      const byte = this.b[this.at++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 0x80;
    }
    return this.fail('varint longer than 10 bytes', where);
  }
  /** A varint's low 32 bits (proto3 truncates wider values, e.g. an int32 -1 sent as 2^64-1). */
  varint32(where?: string): number {
    let lo = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.at >= this.end) this.fail('varint runs past the end', where);
      const byte = this.b[this.at++]!;
      // Bits 0..34 come from the first five bytes; higher ones cannot reach the low 32.
      if (i < 5) lo += (byte & 0x7f) * scale;
      if (byte < 0x80) return lo % 0x100000000;
      scale *= 0x80;
    }
    return this.fail('varint longer than 10 bytes', where);
  }
  take(n: number, where?: string): Uint8Array {
    if (n > this.end - this.at) this.fail(`length ${n} runs past the end`, where);
    const out = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  skip(wireType: number, where: string): void {
    if (wireType === VARINT) this.varint(where);
    else if (wireType === I64) this.take(8, where);
    else if (wireType === LEN) this.take(this.varint(where), where);
    else if (wireType === I32) this.take(4, where);
    else this.fail(`wire type ${wireType} is not supported`, where);
  }
}

function emptyValue(schema: MessageSchema): ProtoMessage {
  const out: ProtoMessage = {};
  for (const f of schema.fields) {
    if (f.type === 'map') out[f.name] = {};
    else if (f.repeated) out[f.name] = [];
    else if (f.optional || f.oneof || f.type === 'message') out[f.name] = undefined;
    else out[f.name] = f.type === 'string' ? '' : f.type === 'bytes' ? new Uint8Array(0) : f.type === 'bool' ? false : 0;
  }
  return out;
}

/** The entry schema of map field `f` of `schema`, named after the field for error messages. */
const entrySchemas = new WeakMap<FieldSpec, MessageSchema>();
function mapEntryOf(schema: MessageSchema, f: FieldSpec): MessageSchema {
  let e = entrySchemas.get(f);
  if (!e) entrySchemas.set(f, (e = { name: `${schema.name}.${f.name}`, fields: MAP_ENTRY.fields }));
  return e;
}

/**
 * Decode into `into` (a value of the same schema already decoded: a non-repeated message field seen
 * twice is merged, as protobuf requires) or into a fresh value.
 */
function decodeInto(schema: MessageSchema, r: Reader, depth: number, into?: ProtoMessage): ProtoMessage {
  if (depth > MAX_DEPTH) r.fail(`messages nested deeper than ${MAX_DEPTH}`, schema.name);
  const out = into ?? emptyValue(schema);
  const byNo = fieldIndex(schema);
  while (r.at < r.end) {
    const tag = r.varint(schema.name);
    const no = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (no === 0 || no > MAX_FIELD_NUMBER) r.fail(`field number ${no} is outside 1..${MAX_FIELD_NUMBER}`, schema.name);
    const f = byNo.get(no);
    if (!f) {
      r.skip(wireType, `${schema.name}.#${no}`);
      continue;
    }
    const where = `${schema.name}.${f.name}`;
    const expected = f.type === 'map' ? LEN : wireTypeOf(f);
    if (wireType !== expected) r.fail(`wire type ${wireType}, expected ${expected}`, where);
    let v: unknown;
    switch (f.type) {
      case 'string': {
        const bytes = r.take(r.varint(where), where);
        try {
          v = utf8Decoder.decode(bytes);
        } catch {
          r.fail('string is not valid UTF-8', where);
        }
        break;
      }
      case 'bytes':
        // A copy in a plain Uint8Array: the input may be a Buffer, whose slice() is a view.
        v = new Uint8Array(r.take(r.varint(where), where));
        break;
      case 'bool':
        v = r.varint(where) !== 0;
        break;
      case 'uint32':
        v = r.varint32(where);
        break;
      case 'message': {
        const n = r.varint(where);
        if (n > r.end - r.at) r.fail(`length ${n} runs past the end`, where);
        const seen = f.repeated ? undefined : (out[f.name] as ProtoMessage | undefined);
        v = decodeInto(f.message!, new Reader(r.b, r.at + n, r.at, where), depth + 1, seen);
        r.at += n;
        break;
      }
      case 'map': {
        const n = r.varint(where);
        if (n > r.end - r.at) r.fail(`length ${n} runs past the end`, where);
        // An entry is not a nesting level of its own (it holds two strings).
        const entry = decodeInto(mapEntryOf(schema, f), new Reader(r.b, r.at + n, r.at, where), depth);
        r.at += n;
        // defineProperty, so that a key such as "__proto__" is an ordinary own key.
        Object.defineProperty(out[f.name], entry.key as string, { value: entry.value, enumerable: true, writable: true, configurable: true });
        continue;
      }
    }
    if (f.repeated) (out[f.name] as unknown[]).push(v);
    else {
      if (f.oneof) for (const g of schema.fields) if (g.oneof === f.oneof) out[g.name] = undefined;
      out[f.name] = v;
    }
  }
  return out;
}

const indexes = new WeakMap<MessageSchema, Map<number, FieldSpec>>();
function fieldIndex(schema: MessageSchema): Map<number, FieldSpec> {
  let m = indexes.get(schema);
  if (!m) indexes.set(schema, (m = new Map(schema.fields.map((f) => [f.no, f]))));
  return m;
}

/** Decode `bytes` as `schema` (see the module notes for defaults and errors). */
export function decodeMessage(schema: MessageSchema, bytes: Uint8Array): ProtoMessage {
  if (!(bytes instanceof Uint8Array)) throw new MalformedInput(`${schema.name}: expected bytes`, { where: schema.name });
  return decodeInto(schema, new Reader(bytes, bytes.length, 0, schema.name), 0);
}
