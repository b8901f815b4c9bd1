/**
 * The CC event log (ACPI CCEL table contents, optionally followed by AAEL entries): a TCG2
 * crypto-agile event log whose first event is the `Spec ID Event03` header naming digest sizes.
 * Parsed into upstream's `uefi_event_logs` entries.
 * Spec: TCG PC Client PFP 1.06 §10.2.1 (TCG_PCR_EVENT), §10.2.2 (TCG_PCR_EVENT2), §10.4.5.1
 * (TCG_EfiSpecIdEvent); UEFI 2.10 §38.4 (CC event log); ACPI 6.5 §5.2.34 (CCEL).
 * @module
 */
import { ByteReader, MalformedInput, bytesEqual, toBase64, toHex } from '../../../core/index.js';
import { parseEventDetails, type EventDetails } from './event-data.js';
import { EVENT_TYPE_NAMES, EV_NO_ACTION, TCG_ALGORITHMS, tcgHash, type TcgAlgorithmName } from './tcg.js';

export interface EventDigest {
  alg: TcgAlgorithmName;
  digest: Uint8Array;
}

/** One event of the log (the header event is not included, as upstream). */
export interface CcEvent {
  /** CC measurement register index (TDX: 1..4 ↔ RTMR0..3; 0 = MRTD). */
  index: number;
  eventType: number;
  typeName: string;
  digests: EventDigest[];
  data: Uint8Array;
  details: EventDetails;
  /** Every digest equals the hash of the event data. */
  digestMatchesEvent: boolean;
}

export interface CcEventLog {
  /** Digest sizes declared by the Spec ID header. */
  digestSizes: Map<TcgAlgorithmName, number>;
  events: CcEvent[];
}

/** Upper bound on events, so a hostile log cannot make us build millions of objects. */
const MAX_EVENTS = 100_000;

function typeName(type: number, where: string): string {
  const n = EVENT_TYPE_NAMES.get(type);
  if (!n) throw new MalformedInput(`event log: unknown event type 0x${type.toString(16)}`, { where });
  return n;
}

function algorithm(id: number, where: string): TcgAlgorithmName {
  const a = TCG_ALGORITHMS.get(id);
  if (!a) throw new MalformedInput(`event log: unknown algorithm 0x${id.toString(16)}`, { where });
  return a;
}

/** TCG_EfiSpecIdEvent: signature(16) platformClass(4) minor major errata uintnSize(4 x u8) numberOfAlgorithms(4) {id, size}[] vendorInfoSize(1) vendorInfo. */
function parseSpecId(data: Uint8Array): Map<TcgAlgorithmName, number> {
  const r = new ByteReader(data, 'event log spec id event', 24);
  const n = r.u32le();
  const sizes = new Map<TcgAlgorithmName, number>();
  for (let i = 0; i < n; i++) {
    const alg = algorithm(r.u16le(), 'eventlog.spec_id');
    sizes.set(alg, r.u16le());
  }
  r.skip(r.u8());
  if (r.offset !== data.length) throw new MalformedInput('event log: spec id event size does not match its contents', { where: 'eventlog.spec_id' });
  return sizes;
}

function digestsMatch(data: Uint8Array, digests: EventDigest[]): boolean {
  for (const d of digests) {
    const h = tcgHash(d.alg, data);
    if (!h) throw new MalformedInput(`event log: cannot check a ${d.alg} digest`, { where: 'eventlog.digest' });
    if (!bytesEqual(h, d.digest)) return false;
  }
  return true;
}

/**
 * Parse a CC event log. Parsing stops at the first all-0xFF or all-0x00 8-byte marker (the unused
 * tail of the ACPI table) or at the end of the input.
 * @throws MalformedInput on truncation, unknown event types or algorithms, or undecodable event data
 */
export function parseCcEventLog(bytes: Uint8Array): CcEventLog {
  const r = new ByteReader(bytes, 'event log');
  r.u32le(); // PCR index of the header event
  const headerType = r.u32le();
  typeName(headerType, 'eventlog.header');
  if (headerType !== EV_NO_ACTION) throw new MalformedInput('event log: the first event is not the Spec ID event (EV_NO_ACTION)', { where: 'eventlog.header' });
  r.skip(20); // SHA-1 digest field of the TCG_PCR_EVENT header
  const digestSizes = parseSpecId(r.bytesN(r.u32le()));
  const events: CcEvent[] = [];
  while (r.remaining > 0) {
    const marker = new ByteReader(bytes, 'event log', r.offset).u64le();
    if (marker === 0xffffffffffffffffn || marker === 0n) break;
    if (events.length >= MAX_EVENTS) throw new MalformedInput('event log: too many events', { where: 'eventlog' });
    const where = `eventlog@${r.offset}`;
    const index = r.u32le();
    const eventType = r.u32le();
    const name = typeName(eventType, where);
    const count = r.u32le();
    const digests: EventDigest[] = [];
    for (let i = 0; i < count; i++) {
      const alg = algorithm(r.u16le(), where);
      const size = digestSizes.get(alg);
      if (size === undefined) throw new MalformedInput(`event log: no digest size declared for ${alg}`, { where });
      digests.push({ alg, digest: r.bytesN(size) });
    }
    const data = r.bytesN(r.u32le());
    const digestMatchesEvent = digestsMatch(data, digests);
    events.push({ index, eventType, typeName: name, digests, data, details: parseEventDetails(eventType, data), digestMatchesEvent });
  }
  return { digestSizes, events };
}

/** The upstream claim shape of one event (`uefi_event_logs[]`). */
export interface EventLogClaim {
  details: EventDetails;
  digest_matches_event: boolean;
  digests: { alg: TcgAlgorithmName; digest: string }[];
  event: string;
  index: number;
  type_name: string;
}

/** Events as upstream's `uefi_event_logs` claim (digests lowercase hex, event data std base64). */
export function eventLogClaims(log: CcEventLog): EventLogClaim[] {
  return log.events.map((e) => ({
    details: e.details,
    digest_matches_event: e.digestMatchesEvent,
    digests: e.digests.map((d) => ({ alg: d.alg, digest: toHex(d.digest) })),
    event: toBase64(e.data),
    index: e.index,
    type_name: e.typeName,
  }));
}
