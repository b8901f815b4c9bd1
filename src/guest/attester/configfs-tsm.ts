/**
 * configfs-tsm report interface (Linux `Documentation/ABI/testing/configfs-tsm`,
 * reference/guest-components.md §1.4 "tdx"): mkdir a fresh report directory, check `provider`,
 * write `inblob` (64-byte report data), read `outblob` (and `auxblob`: the SNP certificate table),
 * check `generation` (≤ 1, or someone else wrote our inblob), always rmdir. File operations are
 * injectable so tests can simulate the kernel's attribute files in a temp dir.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Conflict, Unavailable, Unsupported, fromUtf8 } from '../../core/index.js';

export const TSM_REPORT_ROOT = '/sys/kernel/config/tsm/report';

/** The file operations configfs-tsm needs. */
export interface TsmFs {
  mkdir(path: string): Promise<void>;
  read(path: string): Promise<Uint8Array>;
  write(path: string, data: Uint8Array): Promise<void>;
  rmdir(path: string): Promise<void>;
}

/** The real filesystem. */
export const nodeTsmFs: TsmFs = {
  mkdir: async (p) => void (await mkdir(p)),
  read: async (p) => new Uint8Array(await readFile(p)),
  write: (p, d) => writeFile(p, d),
  rmdir: (p) => rmdir(p),
};

export type TsmProvider = 'tdx_guest' | 'sev_guest' | 'arm_cca_guest';

export interface TsmOptions {
  provider: TsmProvider;
  root?: string;
  fs?: TsmFs;
  /** SEV only: `privlevel` (VMPL) to request; left at the kernel default when absent. */
  privlevel?: number;
  /** Read `auxblob` too (SNP certificate table). */
  wantAux?: boolean;
}

export interface TsmReport {
  outblob: Uint8Array;
  auxblob: Uint8Array | undefined;
}

function trimText(b: Uint8Array): string {
  return fromUtf8(b, 'configfs-tsm').trim();
}

/** Produce one report through configfs-tsm. */
export async function tsmReport(opts: TsmOptions, inblob: Uint8Array): Promise<TsmReport> {
  const fs = opts.fs ?? nodeTsmFs;
  const dir = join(opts.root ?? TSM_REPORT_ROOT, `coco-${randomBytes(8).toString('hex')}`);
  try {
    await fs.mkdir(dir);
  } catch (cause) {
    throw new Unavailable(`configfs-tsm: cannot create a report in ${opts.root ?? TSM_REPORT_ROOT}: ${(cause as Error).message}`, { cause });
  }
  try {
    const provider = trimText(await fs.read(join(dir, 'provider')));
    if (provider !== opts.provider) throw new Unsupported(`configfs-tsm provider is ${JSON.stringify(provider)}, expected ${opts.provider}`);
    if (opts.privlevel !== undefined) await fs.write(join(dir, 'privlevel'), new TextEncoder().encode(`${opts.privlevel}\n`));
    await fs.write(join(dir, 'inblob'), inblob);
    const outblob = await fs.read(join(dir, 'outblob'));
    let auxblob: Uint8Array | undefined;
    if (opts.wantAux) {
      try {
        auxblob = await fs.read(join(dir, 'auxblob'));
      } catch {
        auxblob = undefined; // the host provisioned no certificates
      }
    }
    const generation = Number.parseInt(trimText(await fs.read(join(dir, 'generation'))), 10);
    if (!Number.isFinite(generation) || generation > 1) throw new Conflict(`configfs-tsm: inblob write conflict (generation ${generation})`);
    if (outblob.length === 0) throw new Unavailable('configfs-tsm: empty outblob');
    return { outblob, auxblob: auxblob && auxblob.length > 0 ? auxblob : undefined };
  } finally {
    await fs.rmdir(dir).catch(() => undefined);
  }
}

/** True when configfs-tsm exists and its provider is `provider` (probes with a throwaway report dir). */
export async function tsmProviderIs(provider: TsmProvider, root = TSM_REPORT_ROOT, fs: TsmFs = nodeTsmFs): Promise<boolean> {
  const dir = join(root, `coco-probe-${randomBytes(4).toString('hex')}`);
  try {
    await fs.mkdir(dir);
  } catch {
    return false;
  }
  try {
    return trimText(await fs.read(join(dir, 'provider'))) === provider;
  } catch {
    return false;
  } finally {
    await fs.rmdir(dir).catch(() => undefined);
  }
}
