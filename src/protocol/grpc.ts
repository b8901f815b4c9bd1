/**
 * gRPC over HTTP/2, the parts that are bytes and strings (the transport is
 * `trustee/grpc/server.ts`, `client.ts`): the 5-byte length-prefixed message frame, status codes, the
 * percent-encoded `grpc-message` and the `grpc-timeout` header. Facts from the gRPC "PROTOCOL-HTTP2"
 * specification.
 * @module
 */
import { MalformedInput } from '../core/index.js';

/** gRPC status codes (the numbers on the wire). */
export const GrpcStatus = {
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
} as const;
export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

const STATUS_NAMES = new Map<number, string>(Object.entries(GrpcStatus).map(([k, v]) => [v, k]));

/** `INVALID_ARGUMENT` for 3; `status 42` for a number outside the table. */
export function grpcStatusName(code: number): string {
  return STATUS_NAMES.get(code) ?? `status ${code}`;
}

/** Largest message either side accepts by default (gRPC's usual 4 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** One uncompressed message: flag 0, big-endian u32 length, then the bytes. */
export function frameMessage(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + message.length);
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, 5);
  return out;
}

/**
 * The one message of a unary call's body (request or response). Refuses a compressed frame (we
 * never negotiate compression), a frame longer than `maxBytes`, a truncated frame, none at all, or
 * anything after the first.
 */
export function unframeMessage(body: Uint8Array, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): Uint8Array {
  if (body.length < 5) throw new MalformedInput(`gRPC body of ${body.length} bytes has no complete frame header`, { where: 'grpc frame' });
  if (body[0] !== 0) throw new MalformedInput(body[0] === 1 ? 'compressed gRPC messages are not supported' : `gRPC frame flag ${body[0]} is not defined`, { where: 'grpc frame' });
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1);
  if (length > maxBytes) throw new MalformedInput(`gRPC message of ${length} bytes exceeds the limit of ${maxBytes}`, { where: 'grpc frame' });
  if (body.length < 5 + length) throw new MalformedInput(`gRPC frame announces ${length} bytes but ${body.length - 5} follow`, { where: 'grpc frame' });
  if (body.length > 5 + length) throw new MalformedInput('a unary gRPC body holds more than one message', { where: 'grpc frame' });
  return body.subarray(5);
}

/** `grpc-message` value: UTF-8, percent-encoding everything outside printable ASCII and `%`. */
export function encodeGrpcMessage(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of `encodeGrpcMessage`; a malformed escape is kept as it is (the spec asks receivers not to fail). */
export function decodeGrpcMessage(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(c & 0xff);
    }
  }
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array(bytes));
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** `grpc-timeout` (1–8 digits and a unit H/M/S/m/u/n) in milliseconds. */
export function parseGrpcTimeout(value: string): number {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) throw new MalformedInput(`grpc-timeout ${JSON.stringify(value)} is not 1-8 digits and a unit`, { where: 'grpc-timeout' });
  return Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]!;
}

/** A `grpc-timeout` value for `ms` milliseconds (whole milliseconds, or seconds when too large). */
export function formatGrpcTimeout(ms: number): string {
  if (Number.isNaN(ms)) throw new MalformedInput('a gRPC timeout must be a number of milliseconds, not NaN', { where: 'grpc-timeout' });
  const whole = Math.max(0, Math.ceil(ms));
  return whole <= 99_999_999 ? `${whole}m` : `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}
