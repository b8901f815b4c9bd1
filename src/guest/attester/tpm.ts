/**
 * The generic TPM attester (reference/guest-components.md §1.4 "tpm"): TPM2_Quote with the RSA AK
 * at 0x81010002 (created if absent) over SHA-256 PCRs 0–23, qualifying data = report data resized
 * to 32 bytes; evidence `{"tpm_quote":{"signature","message","pcrs"},"ak_public"}` through the tpm
 * verifier's codec (`encodeTpmEvidence`). initdata is
 * bound by extending PCR 8; runtime measurements extend a SHA-256 PCR.
 * @module
 */
import { Unsupported, VerificationFailed, bytesEqual, isAllZero, resizeBytes, toBase64, toHex } from '../../core/index.js';
import { pcr8AfterInitData } from '../../protocol/index.js';
import { encodeTpmEvidence } from '../../verifier/index.js';
import type { Attester, BindResult } from './attester.js';
import { DEFAULT_AK_HANDLE, ensureAk, pcrExtend, pcrRead, quote, startup } from './tpm/commands.js';
import { TpmError } from './tpm/marshal.js';
import type { TpmTransport } from './tpm/transport.js';

const TPM_RC_LOCALITY = 0x907;

/** PCR that initdata is extended into (reference/guest-components.md §6.4). */
export const INITDATA_PCR = 8;
const ALL_PCRS = Array.from({ length: 24 }, (_, i) => i);

export interface TpmAttesterOptions {
  transport: TpmTransport;
  akHandle?: number;
  /** Current AAEL bytes; when non-empty they travel as `aa_eventlog` (std base64) beside the quote. */
  readAael?: () => Promise<Uint8Array | undefined>;
}

/**
 * Bind initdata through PCR 8, idempotently: a zero PCR 8 is extended once with digest[:32]; a PCR 8
 * that already holds exactly that value is left alone (a second `coco guest fetch` in the same VM);
 * anything else means PCR 8 was extended with something else, and the guest refuses to start.
 */
export async function bindInitDataPcr8(t: TpmTransport, digest: Uint8Array): Promise<BindResult> {
  const current = (await pcrRead(t, [INITDATA_PCR])).get(INITDATA_PCR)!;
  const want = pcr8AfterInitData(digest);
  if (bytesEqual(current, want)) return 'bound';
  if (!isAllZero(current)) throw new VerificationFailed('tpm.init_data', `PCR ${INITDATA_PCR} already holds ${toHex(current)}, not this initdata`);
  await extendPcr(t, INITDATA_PCR, digest);
  return 'bound';
}

/** Extend a SHA-256 PCR, explaining the locality refusal of PCRs 17–22 (PC Client profile: DRTM PCRs). */
export async function extendPcr(t: TpmTransport, pcr: number, digest: Uint8Array): Promise<void> {
  try {
    await pcrExtend(t, pcr, resizeBytes(digest, 32));
  } catch (err) {
    if (err instanceof TpmError && err.rc === TPM_RC_LOCALITY) {
      throw new Unsupported(`PCR ${pcr} cannot be extended from locality 0 (TPM_RC_LOCALITY); set eventlog_config.init_pcr to a resettable PCR such as 23`, { cause: err });
    }
    throw err;
  }
}

/** Create the tpm attester over an open transport (it sends TPM2_Startup if needed). */
export async function tpmAttester(opts: TpmAttesterOptions): Promise<Attester> {
  const t = opts.transport;
  const akHandle = opts.akHandle ?? DEFAULT_AK_HANDLE;
  await startup(t);
  const ak = await ensureAk(t, akHandle);
  return {
    tee: 'tpm',
    runtimeMeasurementAlgorithm: 'sha256',
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      const q = await quote(t, akHandle, resizeBytes(reportData, 32), ALL_PCRS);
      const pcrs = await pcrRead(t, ALL_PCRS);
      const ev = encodeTpmEvidence({ akPublicDer: ak.spki, message: q.message, signature: q.signature, pcrs: ALL_PCRS.map((i) => pcrs.get(i)!) });
      const aael = await opts.readAael?.();
      return aael && aael.length > 0 ? { ...ev, aa_eventlog: toBase64(aael) } : ev;
    },
    bindInitData: (digest: Uint8Array) => bindInitDataPcr8(t, digest),
    extendRuntimeMeasurement: (digest: Uint8Array, pcr: number) => extendPcr(t, pcr, digest),
    close: () => t.close(),
  };
}
