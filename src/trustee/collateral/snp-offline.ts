/**
 * Offline SNP VCEK store: a directory laid out as upstream's `OfflineStore`
 * (`<dir>/vcek/<hwid>/<bl..>_<tee..>_<snp..>_<ucode..>[_fmc..]_vcek.der`, falling back to
 * `<dir>/vcek/<hwid>/vcek.der`; hwid = hex chip id, its first 8 bytes on Turin).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Unavailable, toHex } from '../../core/index.js';
import type { SnpVekQuery, SnpVekSource } from '../../verifier/index.js';

const two = (n: number) => String(n).padStart(2, '0');

/** The hwid path segment / KDS path parameter for a chip. */
export function snpHwId(q: Pick<SnpVekQuery, 'generation' | 'chipId'>): string {
  return toHex(q.generation === 'Turin' ? q.chipId.subarray(0, 8) : q.chipId);
}

/** Upstream's TCB file-name prefix, e.g. `bl02_tee00_snp06_ucode21` (+ `_fmc05` when an FMC SPL exists). */
export function snpTcbPrefix(tcb: SnpVekQuery['tcb']): string {
  const base = `bl${two(tcb.bootloader)}_tee${two(tcb.tee)}_snp${two(tcb.snp)}_ucode${two(tcb.microcode)}`;
  return tcb.fmc === undefined ? base : `${base}_fmc${two(tcb.fmc)}`;
}

async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new Unavailable(`cannot read the VCEK store at ${path}`, { cause });
  }
}

/** A `SnpVekSource` reading the offline store under `dir`. Missing files mean "no VCEK here". */
export function snpOfflineVekSource(dir: string): SnpVekSource {
  return {
    async getVek(q: SnpVekQuery): Promise<Uint8Array | undefined> {
      const base = join(dir, 'vcek', snpHwId(q));
      return (await readIfExists(join(base, `${snpTcbPrefix(q.tcb)}_vcek.der`))) ?? (await readIfExists(join(base, 'vcek.der')));
    },
  };
}
