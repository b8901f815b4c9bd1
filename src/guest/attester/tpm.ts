/**
 * The generic TPM attester (reference/guest-components.md §1.4 "tpm"): TPM2_Quote with the RSA AK
 * at 0x81010002 (created if absent) over SHA-256 PCRs 0–23, qualifying data = report data resized
 * to 32 bytes; evidence `{"tpm_quote":{"signature","message","pcrs"},"ak_public"}`. initdata is
 * bound by extending PCR 8; runtime measurements extend a SHA-256 PCR.
 * @module
 */
import { resizeBytes, toBase64, toHex } from '../../core/index.js';
import type { Attester, BindResult } from './attester.js';
import { DEFAULT_AK_HANDLE, ensureAk, pcrExtend, pcrRead, quote, startup } from './tpm/commands.js';
import type { TpmTransport } from './tpm/transport.js';

/** PCR that initdata is extended into (reference/guest-components.md §6.4). */
export const INITDATA_PCR = 8;
const ALL_PCRS = Array.from({ length: 24 }, (_, i) => i);

/** Upstream tpm evidence JSON. */
export interface TpmEvidence {
  tpm_quote: { signature: string; message: string; pcrs: string[] };
  ak_public: string;
}

/** Shape the evidence exactly as upstream's tpm attester serializes it. */
export function encodeTpmEvidence(q: { signature: Uint8Array; message: Uint8Array; pcrs: readonly Uint8Array[] }, akSpki: Uint8Array): TpmEvidence {
  return {
    tpm_quote: { signature: toBase64(q.signature), message: toBase64(q.message), pcrs: q.pcrs.map(toHex) },
    ak_public: toBase64(akSpki),
  };
}

export interface TpmAttesterOptions {
  transport: TpmTransport;
  akHandle?: number;
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
      return encodeTpmEvidence({ ...q, pcrs: ALL_PCRS.map((i) => pcrs.get(i)!) }, ak.spki);
    },
    async bindInitData(digest: Uint8Array): Promise<BindResult> {
      await pcrExtend(t, INITDATA_PCR, resizeBytes(digest, 32));
      return 'bound';
    },
    async extendRuntimeMeasurement(digest: Uint8Array, pcr: number): Promise<void> {
      await pcrExtend(t, pcr, resizeBytes(digest, 32));
    },
    close: () => t.close(),
  };
}
