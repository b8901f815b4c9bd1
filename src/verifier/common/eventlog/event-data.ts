/**
 * Event data → `details`, per event type, exactly as upstream's event log claims show them
 * (including their quirks: a simple string whose length byte counts itself, UTF-16 names, and the
 * AAEL tagged event). Spec: TCG PC Client PFP 1.06 §10.4 (event data structures).
 * @module
 */
import { MalformedInput, toBase64, toHex } from '../../../core/index.js';
import { parseAaelText, AAEL_TAGGED_EVENT_ID, type AaelEvent } from './aael.js';
import { formatDevicePathNode, utf16Lossy } from './device-path.js';

/** The `details` object of an event (keys present only when set, in upstream's order). */
export interface EventDetails {
  string?: string;
  unicode_name?: string;
  unicode_name_length?: number;
  variable_data?: string;
  variable_data_length?: number;
  variable_name?: string;
  device_paths?: string[];
  data?: AaelEvent;
}

function bad(what: string): never {
  throw new MalformedInput(`event log: ${what}`, { where: 'eventlog.event' });
}

const u32 = (d: Uint8Array, o: number) => (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
/** A little-endian u64 as a safe number; larger values cannot index anything and are refused. */
function u64n(d: Uint8Array, o: number): number {
  const hi = u32(d, o + 4);
  if (hi > 0x1fffff) bad('64-bit length out of range');
  return hi * 2 ** 32 + u32(d, o);
}

const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LOSSY = new TextDecoder('utf-8', { ignoreBOM: true });

function utf8Strict(b: Uint8Array, what: string): string {
  try {
    return STRICT.decode(b);
  } catch {
    return bad(`${what} is not UTF-8`);
  }
}

const utf8Lossy = (b: Uint8Array) => LOSSY.decode(b);

/** Rust `char::is_control`: Unicode general category Cc. */
const isControl = (c: string) => {
  const cp = c.codePointAt(0)!;
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
};

function utf16Strict(b: Uint8Array, what: string): string {
  const s = utf16Lossy(b);
  for (let i = 0; i + 1 < b.length; i += 2) {
    const w = b[i]! | (b[i + 1]! << 8);
    if (w >= 0xd800 && w <= 0xdfff) {
      // only well-formed pairs are accepted
      const next = i + 3 < b.length ? b[i + 2]! | (b[i + 3]! << 8) : 0;
      if (w <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i += 2;
        continue;
      }
      bad(`${what} is not UTF-16`);
    }
  }
  return s;
}

function guidPlain(g: Uint8Array): string {
  return `${toHex(g.subarray(0, 4))}-${toHex(g.subarray(4, 6))}-${toHex(g.subarray(6, 8))}-${toHex(g.subarray(8, 10))}-${toHex(g.subarray(10, 16))}`;
}

function efiVariable(d: Uint8Array): EventDetails {
  if (d.length < 32) bad('EFI variable event too short');
  const nameLen = u64n(d, 16);
  const dataLen = u64n(d, 24);
  const nameEnd = 32 + nameLen * 2;
  if (nameEnd > d.length) bad('EFI variable name overruns the event');
  const unicodeName = utf16Strict(d.subarray(32, nameEnd), 'EFI variable name');
  let variableData = '';
  if (dataLen > 0) {
    if (nameEnd + dataLen > d.length) bad('EFI variable data overruns the event');
    variableData = toBase64(d.subarray(nameEnd, nameEnd + dataLen));
  }
  return {
    unicode_name: unicodeName,
    unicode_name_length: nameLen,
    variable_data: variableData,
    variable_data_length: dataLen,
    variable_name: guidPlain(d.subarray(0, 16)),
  };
}

function eventTag(d: Uint8Array): EventDetails {
  if (d.length < 8) bad('tagged event too short');
  const id = u32(d, 0);
  const size = u32(d, 4);
  if (8 + size > d.length) bad('tagged event data overruns the event');
  const body = d.subarray(8, 8 + size);
  const details: EventDetails = { string: utf8Lossy(body).replaceAll('\0', '') };
  if (id === AAEL_TAGGED_EVENT_ID) {
    details.unicode_name = 'AAEL';
    details.data = parseAaelText(utf8Strict(body, 'AAEL event'));
  }
  return details;
}

function ipl(d: Uint8Array): EventDetails {
  if (d.length < 2) bad('IPL event too short');
  if (d[0] === 0x2e && d[1] === 0x00) {
    // GCE writes a UTF-16 string after a 2-byte prefix; upstream drops as many bytes at the end.
    const len = d.length - 2;
    if (len === 0 || len % 2 !== 0) bad('IPL event is not UTF-16');
    return { string: utf16Lossy(d.subarray(2, len)) };
  }
  const nul = d.indexOf(0);
  const head = nul < 0 ? d : d.subarray(0, nul);
  try {
    return { string: STRICT.decode(head) };
  } catch {
    return { string: toHex(d) };
  }
}

function platformConfigFlags(d: Uint8Array): EventDetails {
  let text = '';
  try {
    text = STRICT.decode(d);
  } catch {
    text = '';
  }
  return { string: Array.from(text.replaceAll('\u0010', ' ')).filter((c) => !isControl(c)).join('') };
}

function simpleString(d: Uint8Array): EventDetails {
  if (d.length === 0) bad('string event is empty');
  // Upstream reads bytes 1..len where `len` is the first byte (so the length counts itself).
  const end = d[0]!;
  if (end < 1 || d.length < end) bad('string event shorter than its length byte');
  return { string: utf8Strict(d.subarray(1, end), 'string event') };
}

function bootServicesApp(d: Uint8Array): EventDetails {
  if (d.length < 32) bad('boot services application event too short');
  const pathLen = u64n(d, 24);
  if (pathLen === 0) return {};
  // Upstream takes pathLen - 4 bytes (it leaves out the 4-byte end-of-path node).
  if (pathLen < 4) bad('device path length smaller than one node header');
  const end = 32 + pathLen - 4;
  if (d.length < end) bad('device path overruns the event');
  let p = d.subarray(32, end);
  if (p.length < 4) bad('device path shorter than one node');
  const paths: string[] = [];
  for (;;) {
    if (p.length < 4) bad('truncated device path node');
    const len = p[2]! | (p[3]! << 8);
    if (len < 4 || p.length < len) bad('device path node length out of range');
    paths.push(formatDevicePathNode(p[0]!, p[1]!, p.subarray(4, len)));
    p = p.subarray(len);
    if (p.length === 0) return { device_paths: paths };
  }
}

type Parser = (d: Uint8Array) => EventDetails;
const simple: Parser = (d) => ({ string: utf8Strict(d, 'event') });

const PARSERS: ReadonlyMap<number, Parser> = new Map<number, Parser>([
  [0x1, simple],
  [0x5, simple],
  [0x6, eventTag],
  [0xa, platformConfigFlags],
  [0xc, simple],
  [0xd, ipl],
  [0x12, simple],
  [0x80000001, efiVariable],
  [0x80000002, efiVariable],
  [0x80000003, bootServicesApp],
  [0x80000007, simple],
  [0x8000000a, simpleString],
  [0x8000000b, simpleString],
  [0x8000000c, efiVariable],
  [0x800000e0, efiVariable],
]);

/** Decode the event data of `eventType`; types without a decoder give `{}`. */
export function parseEventDetails(eventType: number, data: Uint8Array): EventDetails {
  const p = PARSERS.get(eventType);
  return p ? p(data) : {};
}
