/**
 * Replaying a CC event log into measurement-register values: for each register, start from zeros
 * and extend (MR = H(MR ‖ digest)) with each event's digest of that algorithm, in log order.
 * TDX maps CC MR index 1..4 to RTMR0..3 (UEFI 2.10 §38.4.1, "TDX" vendor-specific mapping).
 * @module
 */
import { bytesEqual, toHex } from '../../../core/index.js';
import type { CcEventLog } from './ccel.js';
import { tcgDigestSize, tcgHash, type TcgAlgorithmName } from './tcg.js';

/** The value register `index` would hold after replaying the log with `alg`. */
export function replayRegister(log: CcEventLog, index: number, alg: TcgAlgorithmName): Uint8Array {
  const size = tcgDigestSize(alg);
  if (size === undefined || !tcgHash(alg)) throw new TypeError(`cannot replay with ${alg}`);
  let mr: Uint8Array = new Uint8Array(size);
  for (const e of log.events) {
    if (e.index !== index) continue;
    for (const d of e.digests) if (d.alg === alg) mr = tcgHash(alg, mr, d.digest)!;
  }
  return mr;
}

export interface ReplayMismatch {
  index: number;
  calculated: string;
  given: string;
}

/** Compare replayed registers with reference values; returns the first mismatch, or undefined. */
export function findReplayMismatch(log: CcEventLog, alg: TcgAlgorithmName, references: { index: number; value: Uint8Array }[]): ReplayMismatch | undefined {
  for (const ref of references) {
    const calc = replayRegister(log, ref.index, alg);
    if (!bytesEqual(calc, ref.value)) return { index: ref.index, calculated: toHex(calc), given: toHex(ref.value) };
  }
  return undefined;
}
