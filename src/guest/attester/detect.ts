/**
 * TEE detection in upstream's order (reference/guest-components.md §1.2): tdx (configfs-tsm
 * provider or /dev/tdx_guest), az-tdx-vtpm / az-snp-vtpm (HCL report type in the vTPM), snp
 * (/sys/devices/platform/sev-guest), tpm (a TPM device). Unlike upstream, there is no silent
 * fallback to `sample`: detection failing is an error, and `sample` must be named.
 * @module
 */
import { access } from 'node:fs/promises';
import { Unavailable } from '../../core/index.js';
import { HCL_REPORT_NV_INDEX, hclReportType } from './az-vtpm.js';
import { TSM_REPORT_ROOT, nodeTsmFs, tsmProviderIs, type TsmFs } from './configfs-tsm.js';
import type { AttesterName } from './registry.js';
import { nvRead } from './tpm/commands.js';
import { openTpm } from './tpm/transport.js';

export interface DetectEnv {
  /** Paths probed; tests point them into a temp dir. */
  tdxDevice?: string;
  sevGuestDir?: string;
  tpmDevices?: readonly string[];
  tsmRoot?: string;
  tsmFs?: TsmFs;
  /** An explicit `--tpm` (then only that TPM is considered). */
  tpm?: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function azureKind(tpm: string): Promise<'snp' | 'tdx' | undefined> {
  let t;
  try {
    t = await openTpm(tpm, 5000);
  } catch {
    return undefined;
  }
  try {
    const kind = hclReportType(await nvRead(t, HCL_REPORT_NV_INDEX));
    return kind === 'unknown' ? undefined : kind;
  } catch {
    return undefined;
  } finally {
    await t.close();
  }
}

/** The attester this machine supports, or `Unavailable` naming what was probed. */
export async function detectAttester(env: DetectEnv = {}): Promise<{ name: AttesterName; tpm?: string }> {
  const tsmRoot = env.tsmRoot ?? TSM_REPORT_ROOT;
  if ((await tsmProviderIs('tdx_guest', tsmRoot, env.tsmFs ?? nodeTsmFs)) || (await exists(env.tdxDevice ?? '/dev/tdx_guest'))) return { name: 'tdx' };
  const tpms = env.tpm ? [env.tpm] : (env.tpmDevices ?? ['/dev/tpmrm0', '/dev/tpm0']);
  const tpm = env.tpm ?? (await firstExisting(tpms));
  if (tpm) {
    const az = await azureKind(tpm);
    if (az === 'tdx') return { name: 'az-tdx-vtpm', tpm };
    if (az === 'snp') return { name: 'az-snp-vtpm', tpm };
  }
  if ((await tsmProviderIs('sev_guest', tsmRoot, env.tsmFs ?? nodeTsmFs)) || (await exists(env.sevGuestDir ?? '/sys/devices/platform/sev-guest'))) return { name: 'snp' };
  if (tpm) return { name: 'tpm', tpm };
  throw new Unavailable('no TEE detected (checked configfs-tsm, /dev/tdx_guest, Azure vTPM, sev-guest, TPM devices); use --attester sample only for development');
}

async function firstExisting(paths: readonly string[]): Promise<string | undefined> {
  for (const p of paths) if (p.includes(':') || (await exists(p))) return p;
  return undefined;
}
