/**
 * A minimal ASN.1 DER reader (X.690) for the parts of certificates and CRLs that node:crypto does
 * not expose: extensions (AMD VCEK TCB OIDs, Intel SGX PCK extension), CRL entries, SPKI.
 * Every read is bounds-checked and throws `MalformedInput`.
 * @module
 */
import { MalformedInput } from '../../core/index.js';

export interface DerNode {
  /** Tag byte (class + constructed bit + number; high tag numbers are not used by X.509). */
  tag: number;
  /** Offset of the tag byte in the whole input. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset one past the last content byte. */
  end: number;
  /** Content bytes (a view). */
  content: Uint8Array;
  /** The whole TLV (a view). */
  raw: Uint8Array;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

/** Read one TLV at `offset` within `buf` (bounded by `limit`). */
export function readDer(buf: Uint8Array, offset = 0, limit = buf.length): DerNode {
  const fail = (msg: string): never => {
    throw new MalformedInput(`DER: ${msg} at offset ${offset}`, { where: `der@${offset}` });
  };
  if (offset + 2 > limit) fail('truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not supported');
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) fail('unsupported length encoding');
    if (p + n > limit) fail('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) fail(`content of ${len} bytes overruns the input`);
  return { tag, start: offset, contentStart: p, end: p + len, content: buf.subarray(p, p + len), raw: buf.subarray(offset, p + len) };
}

/** The children of a constructed node (SEQUENCE, SET, [n] explicit). */
export function derChildren(buf: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let p = node.contentStart;
  while (p < node.end) {
    const child = readDer(buf, p, node.end);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** Parse a whole DER buffer whose top node must span it exactly. */
export function parseDer(buf: Uint8Array): DerNode {
  const node = readDer(buf, 0);
  if (node.end !== buf.length) throw new MalformedInput(`DER: ${buf.length - node.end} trailing bytes`, { where: 'der' });
  return node;
}

/** Expect a tag; throws `MalformedInput` naming `what` otherwise. */
export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new MalformedInput(`DER: ${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`, { where: what });
  return node;
}

/** Dotted-decimal text of an OBJECT IDENTIFIER's content. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new MalformedInput('DER: empty OID', { where: 'oid' });
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i]!;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        parts.push(first, v - first * 40);
      } else parts.push(v);
      v = 0;
    } else if (i === content.length - 1) throw new MalformedInput('DER: truncated OID', { where: 'oid' });
  }
  return parts.join('.');
}

/** An INTEGER's content as a non-negative bigint (DER integers here are serials, SVNs, versions). */
export function decodeInteger(content: Uint8Array): bigint {
  if (content.length === 0) throw new MalformedInput('DER: empty INTEGER', { where: 'integer' });
  let v = 0n;
  for (const b of content) v = (v << 8n) | BigInt(b);
  if (content[0]! & 0x80) v -= 1n << BigInt(content.length * 8);
  return v;
}

/** An INTEGER's content as a safe number; throws when it does not fit. */
export function decodeSmallInteger(content: Uint8Array): number {
  const v = decodeInteger(content);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MalformedInput('DER: INTEGER too large', { where: 'integer' });
  }
  return Number(v);
}

/** UTCTime / GeneralizedTime content as a Date (UTC, `Z` form only, as RFC 5280 §4.1.2.5 requires). */
export function decodeTime(node: DerNode): Date {
  const s = new TextDecoder().decode(node.content);
  let m: RegExpExecArray | null;
  if (node.tag === TAG.UTC_TIME && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return new Date(Date.UTC(yy >= 50 ? 1900 + yy : 2000 + yy, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (node.tag === TAG.GENERALIZED_TIME && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(s))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  throw new MalformedInput(`DER: unsupported time ${JSON.stringify(s)}`, { where: 'time' });
}
