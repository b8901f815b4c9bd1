/**
 * TEE names as they appear on the wire (`kbs_types::Tee` serde names, reference/trustee.md §1.3).
 * @module
 */
import { MalformedInput } from '../core/index.js';

export const TEES = [
  'sample',
  'sampledevice',
  'snp',
  'tdx',
  'sgx',
  'az-snp-vtpm',
  'az-tdx-vtpm',
  'tpm',
  'cca',
  'csv',
  'se',
  'hygondcu',
  'nvidia',
] as const;

export type Tee = (typeof TEES)[number];

/** TEE class used for submod names in the EAR token (`cpu0`, `gpu0`, ...). */
export type TeeClass = 'cpu' | 'gpu' | 'dcu' | 'switch' | 'ppcie';

export function isTee(v: unknown): v is Tee {
  return typeof v === 'string' && (TEES as readonly string[]).includes(v);
}

/** Parse a `tee` field; throws `MalformedInput` for a value that is not a known TEE name. */
export function parseTee(v: unknown, where = 'tee'): Tee {
  if (!isTee(v)) throw new MalformedInput(`${where}: unknown TEE ${JSON.stringify(v)}`, { where });
  return v;
}

/** The default class of each TEE's evidence. */
export function teeClassOf(tee: Tee): TeeClass {
  switch (tee) {
    case 'sampledevice':
    case 'nvidia':
      return 'gpu';
    case 'hygondcu':
      return 'dcu';
    default:
      return 'cpu';
  }
}
