/**
 * Finding the end of the events in a CC event log (the ACPI CCEL table, TCG PC Client Platform
 * Firmware Profile §10: one SHA-1-format TCG_PCR_EVENT carrying the Spec ID event, then
 * crypto-agile TCG_PCR_EVENT2 records). The table is padded after the last event; upstream trims
 * at the first record that starts all-0xFF or all-0x00 so AAEL entries can follow.
 * @module
 */
import { ByteReader, MalformedInput } from '../../core/index.js';

/** Length of the real events in `ccel` (without trailing padding). */
export function ccelEventsLength(ccel: Uint8Array): number {
  const r = new ByteReader(ccel, 'CCEL');
  // First event: pcrIndex, eventType, SHA-1 digest (20), eventSize, event (TCG_EfiSpecIDEvent).
  r.skip(8 + 20);
  const specSize = r.u32le();
  const spec = new ByteReader(r.bytesN(specSize), 'CCEL spec id event');
  spec.skip(16 + 4 + 4); // signature, platformClass, versions + uintnSize
  const nAlgs = spec.u32le();
  if (nAlgs === 0 || nAlgs > 16) throw new MalformedInput('CCEL spec id event lists no usable algorithms', { where: 'CCEL' });
  const sizes = new Map<number, number>();
  for (let i = 0; i < nAlgs; i++) sizes.set(spec.u16le(), spec.u16le());
  for (;;) {
    if (r.remaining < 8) return r.offset;
    const start = r.offset;
    const pcr = r.u32le();
    const type = r.u32le();
    if (pcr === 0xffffffff || (pcr === 0 && type === 0)) return start;
    const count = r.u32le();
    if (count > 16) throw new MalformedInput(`CCEL event at ${start} has ${count} digests`, { where: 'CCEL' });
    for (let i = 0; i < count; i++) {
      const size = sizes.get(r.u16le());
      if (size === undefined) throw new MalformedInput(`CCEL event at ${start} uses an algorithm not in the spec id event`, { where: 'CCEL' });
      r.skip(size);
    }
    r.skip(r.u32le());
  }
}
