/**
 * Building the `cc_eventlog` the guest sends: the firmware CCEL (trimmed at its unused tail),
 * then the AA event log entries, then an 8-byte 0xFF end marker; a minimal Spec ID header stands in
 * for a missing CCEL. Reference: guest-components.md §1.4 (tdx attester), TCG PC Client PFP 1.06
 * §10.4.5.1 (TCG_EfiSpecIdEvent).
 * @module
 */
import { concatBytes, utf8 } from '../../../core/index.js';
import { parseCcEventLog } from './ccel.js';
import { TCG_ALG_IDS } from './tcg.js';

const END_MARKER = new Uint8Array(8).fill(0xff);

/**
 * A Spec ID header event declaring digest sizes (default SHA-384 and SM3, the 69-byte header the
 * upstream attester prepends when there is no CCEL).
 */
export function ccelSpecIdHeader(algorithms: [keyof typeof TCG_ALG_IDS, number][] = [['SHA-384', 48], ['SM3', 32]]): Uint8Array {
  const event = new Uint8Array(16 + 4 + 4 + 4 + 4 * algorithms.length + 1);
  const dv = new DataView(event.buffer);
  event.set(utf8('Spec ID Event03'), 0); // NUL-terminated in a 16-byte field
  dv.setUint32(16, 0, true); // platform class
  event[20] = 0; // spec version minor
  event[21] = 2; // spec version major
  event[22] = 0; // errata
  event[23] = 2; // uintn size (2 = UINT64)
  dv.setUint32(24, algorithms.length, true);
  algorithms.forEach(([alg, size], i) => {
    dv.setUint16(28 + 4 * i, TCG_ALG_IDS[alg], true);
    dv.setUint16(30 + 4 * i, size, true);
  });
  const head = new Uint8Array(32);
  const hv = new DataView(head.buffer);
  hv.setUint32(4, 0x3, true); // EV_NO_ACTION
  hv.setUint32(28, event.length, true);
  return concatBytes(head, event);
}

/** The bytes of a CCEL ACPI table up to its first all-0x00/0xFF 8-byte marker (the used part). */
export function trimCcel(table: Uint8Array): Uint8Array {
  const log = parseCcEventLog(table);
  const last = log.events[log.events.length - 1];
  if (!last) {
    // Only the header: it ends where the first marker starts.
    const size = new DataView(table.buffer, table.byteOffset).getUint32(28, true);
    return table.subarray(0, 32 + size);
  }
  return table.subarray(0, last.data.byteOffset - table.byteOffset + last.data.length);
}

/**
 * Assemble the evidence event log from an optional CCEL table and optional AAEL bytes; null when
 * there is neither (upstream sends `"cc_eventlog": null` then).
 */
export function assembleCcEventLog(ccelTable?: Uint8Array | null, aael?: Uint8Array | null): Uint8Array | null {
  const hasCcel = !!ccelTable && ccelTable.length > 0;
  const hasAael = !!aael && aael.length > 0;
  if (!hasCcel && !hasAael) return null;
  const head = hasCcel ? trimCcel(ccelTable) : ccelSpecIdHeader();
  return concatBytes(head, hasAael ? aael : new Uint8Array(0), END_MARKER);
}
