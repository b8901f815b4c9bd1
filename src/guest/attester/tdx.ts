/**
 * The Intel TDX attester over configfs-tsm (provider `tdx_guest`), reference/guest-components.md
 * §1.4 "tdx": evidence `{"cc_eventlog": <std b64 CCEL ‖ AAEL ‖ 8×0xFF> | null, "quote": <std b64>}`.
 * initdata is bound by comparing MRCONFIGID (taken from a fresh quote's TD report body) with the
 * digest; runtime measurements extend an RTMR through the kernel's sysfs `measurements` files.
 * @module
 */
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { MalformedInput, Unsupported, VerificationFailed, bytesEqual, concatBytes, resizeBytes, toHex } from '../../core/index.js';
import { encodeTdxEvidence } from '../../verifier/index.js';
import type { Attester, BindResult } from './attester.js';
import { ccelEventsLength } from './ccel.js';
import { tsmReport, type TsmFs } from './configfs-tsm.js';

export const CCEL_PATH = '/sys/firmware/acpi/tables/data/CCEL';
export const TDX_MEASUREMENTS_DIR = '/sys/devices/virtual/misc/tdx_guest/measurements';

// Intel TDX DCAP Quote Generation Library, Appendix A: 48-byte header; v4 body follows at once,
// v5 has a 6-byte (type u16, size u32) body descriptor first. In the TD report body MRCONFIGID
// follows TEE_TCB_SVN(16) MRSEAM(48) MRSIGNERSEAM(48) SEAMATTRIBUTES(8) TDATTRIBUTES(8) XFAM(8) MRTD(48).
const QUOTE_HEADER = 48;
const MRCONFIGID_IN_BODY = 184;

/** MRCONFIGID (48 bytes) of a TD quote v4 or v5. */
export function mrConfigIdOfQuote(quote: Uint8Array): Uint8Array {
  if (quote.length < 2) throw new MalformedInput('TD quote truncated', { where: 'quote' });
  const version = quote[0]! | (quote[1]! << 8);
  const body = version === 4 ? QUOTE_HEADER : version === 5 ? QUOTE_HEADER + 6 : -1;
  if (body < 0) throw new MalformedInput(`TD quote version ${version} (4 or 5)`, { where: 'quote.version' });
  const off = body + MRCONFIGID_IN_BODY;
  if (quote.length < off + 48) throw new MalformedInput('TD quote truncated before MRCONFIGID', { where: 'quote' });
  return quote.slice(off, off + 48);
}

/** Upstream `cc_eventlog` bytes: CCEL events ‖ AAEL ‖ 8 bytes of 0xFF, or null when there is no CCEL. */
export function buildCcEventlog(ccel: Uint8Array | undefined, aael: Uint8Array | undefined): Uint8Array | null {
  if (!ccel || ccel.length === 0) return null;
  return concatBytes(ccel.subarray(0, ccelEventsLength(ccel)), aael ?? new Uint8Array(0), new Uint8Array(8).fill(0xff));
}

/** RTMR index for an upstream PCR number (PCR 1,7→RTMR0; 2–6→1; 8–15→2; others→3). */
export function rtmrOfPcr(pcr: number): number {
  if (pcr === 1 || pcr === 7) return 0;
  if (pcr >= 2 && pcr <= 6) return 1;
  if (pcr >= 8 && pcr <= 15) return 2;
  return 3;
}

export interface TdxAttesterOptions {
  tsmRoot?: string;
  fs?: TsmFs;
  ccelPath?: string;
  measurementsDir?: string;
  /** Current AAEL bytes, appended after the CCEL. */
  readAael?: () => Promise<Uint8Array | undefined>;
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return undefined;
  }
}

/** Create the TDX attester. */
export function tdxAttester(opts: TdxAttesterOptions = {}): Attester {
  const quoteFor = async (reportData: Uint8Array) => {
    if (reportData.length > 64) throw new Unsupported('TDX report data is at most 64 bytes');
    return (await tsmReport({ provider: 'tdx_guest', root: opts.tsmRoot, fs: opts.fs }, resizeBytes(reportData, 64))).outblob;
  };
  return {
    tee: 'tdx',
    runtimeMeasurementAlgorithm: 'sha384',
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      const quote = await quoteFor(reportData);
      const ccel = await readOptional(opts.ccelPath ?? CCEL_PATH);
      return encodeTdxEvidence(quote, buildCcEventlog(ccel, await opts.readAael?.()));
    },
    async bindInitData(digest: Uint8Array): Promise<BindResult> {
      const mr = mrConfigIdOfQuote(await quoteFor(new Uint8Array(64)));
      if (!bytesEqual(mr, resizeBytes(digest, 48))) throw new VerificationFailed('tdx.init_data', `initdata digest does not match MRCONFIGID (${toHex(mr)})`);
      return 'bound';
    },
    async extendRuntimeMeasurement(digest: Uint8Array, pcr: number): Promise<void> {
      const file = join(opts.measurementsDir ?? TDX_MEASUREMENTS_DIR, `rtmr${rtmrOfPcr(pcr)}:sha384`);
      try {
        await writeFile(file, resizeBytes(digest, 48));
      } catch (cause) {
        throw new Unsupported(`TDX runtime measurement is not available (${file}): ${(cause as Error).message}`, { cause });
      }
    },
  };
}
