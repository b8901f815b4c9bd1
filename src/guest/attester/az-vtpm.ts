/**
 * Azure confidential VMs with a paravisor vTPM (reference/guest-components.md §1.4
 * "az-snp-vtpm", "az-tdx-vtpm"): report data goes to vTPM NV index 0x01400002, the HCL report
 * (32-byte header, SNP report or TD report, runtime JSON) is read from NV 0x01400001, and a
 * TPM2_Quote with the AK at 0x81000003 over SHA-256 PCRs 0–23 carries the report data.
 * SNP adds the VCEK from IMDS THIM; TDX exchanges the TD report for a TD quote at IMDS.
 * Evidence version 2 with hex quote members and padded URL-safe base64 blobs.
 * @module
 */
import { ByteReader, Unavailable, expectObject, expectString, fromBase64Url, parseJsonText, resizeBytes, toHex } from '../../core/index.js';
import { encodeAzSnpVtpmEvidence } from '../../verifier/index.js';
import type { Attester, BindResult } from './attester.js';
import { bindInitDataPcr8, extendPcr } from './tpm.js';
import { ensureAk, nvRead, nvSize, nvWrite, pcrRead, quote, startup } from './tpm/commands.js';
import type { TpmTransport } from './tpm/transport.js';

export const HCL_REPORT_NV_INDEX = 0x01400001;
export const REPORT_DATA_NV_INDEX = 0x01400002;
export const AZURE_AK_HANDLE = 0x81000003;
/** HCL header is 32 bytes; the hardware report follows (SNP 1184 bytes, TD report 1024). */
const HCL_HEADER = 32;
const TD_REPORT_SIZE = 1024;
/** IGVM request data at 0x4C0 (after the 1184-byte hardware report area); its `report_type` u32 LE is at +8: 2 = SNP, 4 = TDX. */
const HCL_REPORT_TYPE_OFFSET = 0x4c0 + 8;
const HCL_TYPE_SNP = 2;
const HCL_TYPE_TDX = 4;
const ALL_PCRS = Array.from({ length: 24 }, (_, i) => i);

export const IMDS_VCEK_URL = 'http://169.254.169.254/metadata/THIM/amd/certification';
export const IMDS_TDQUOTE_URL = 'http://169.254.169.254/acc/tdquote';

/** What the Azure attesters fetch from the instance metadata service. */
export type ImdsFetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<Response>;

/** Padded URL-safe base64 (serde_with `Base64<UrlSafe>`), as the Azure evidence uses. */
export function toBase64UrlPadded(b: Uint8Array): string {
  return Buffer.from(b).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** `report_type` from an HCL report header. */
export function hclReportType(hcl: Uint8Array): 'snp' | 'tdx' | 'unknown' {
  const t = new ByteReader(hcl, 'HCL report', HCL_REPORT_TYPE_OFFSET).u32le();
  return t === HCL_TYPE_SNP ? 'snp' : t === HCL_TYPE_TDX ? 'tdx' : 'unknown';
}

function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Unavailable('IMDS returned no VCEK certificate');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

async function imdsVcek(fetch: ImdsFetch): Promise<Uint8Array> {
  const res = await fetch(IMDS_VCEK_URL, { method: 'GET', headers: { Metadata: 'true' } });
  if (res.status !== 200) throw new Unavailable(`IMDS VCEK request failed: HTTP ${res.status}`);
  return pemToDer(expectString(expectObject(parseJsonText(await res.text(), 'IMDS'), 'IMDS').vcekCert, 'IMDS.vcekCert'));
}

async function imdsTdQuote(fetch: ImdsFetch, tdReport: Uint8Array): Promise<Uint8Array> {
  const body = JSON.stringify({ report: Buffer.from(tdReport).toString('base64url') });
  const res = await fetch(IMDS_TDQUOTE_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (res.status !== 200) throw new Unavailable(`IMDS TD quote request failed: HTTP ${res.status}`);
  return fromBase64Url(expectString(expectObject(parseJsonText(await res.text(), 'IMDS'), 'IMDS').quote, 'IMDS.quote'), 'IMDS.quote');
}

export interface AzVtpmOptions {
  transport: TpmTransport;
  /** IMDS transport (tests pass a local fake). */
  imdsFetch: ImdsFetch;
}

/** Write report data, read the refreshed HCL report, quote the PCRs. */
async function gather(t: TpmTransport, reportData: Uint8Array) {
  const size = (await nvSize(t, REPORT_DATA_NV_INDEX)) ?? 64;
  await nvWrite(t, REPORT_DATA_NV_INDEX, resizeBytes(reportData, Math.min(size, 64)));
  const hcl = await nvRead(t, HCL_REPORT_NV_INDEX);
  const q = await quote(t, AZURE_AK_HANDLE, reportData, ALL_PCRS);
  const pcrs = await pcrRead(t, ALL_PCRS);
  // Azure evidence carries the raw RSA signature, not the marshalled TPMT_SIGNATURE.
  const sig = new ByteReader(q.signature, 'TPMT_SIGNATURE');
  sig.skip(4);
  const rawSig = new Uint8Array(sig.bytesN(sig.u16be()));
  return { hcl, quote: { signature: rawSig, message: q.message, pcrs: ALL_PCRS.map((i) => pcrs.get(i)!) } };
}

async function common(t: TpmTransport): Promise<void> {
  await startup(t);
  await ensureAk(t, AZURE_AK_HANDLE);
}

function vtpmBinding(t: TpmTransport) {
  return {
    runtimeMeasurementAlgorithm: 'sha256' as const,
    bindInitData: (digest: Uint8Array): Promise<BindResult> => bindInitDataPcr8(t, digest),
    extendRuntimeMeasurement: (digest: Uint8Array, pcr: number) => extendPcr(t, pcr, digest),
    close: () => t.close(),
  };
}

/** The az-snp-vtpm attester. */
export async function azSnpVtpmAttester(opts: AzVtpmOptions): Promise<Attester> {
  await common(opts.transport);
  return {
    tee: 'az-snp-vtpm',
    ...vtpmBinding(opts.transport),
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      const g = await gather(opts.transport, reportData);
      const vcek = await imdsVcek(opts.imdsFetch);
      return encodeAzSnpVtpmEvidence({ quote: g.quote, hclReport: g.hcl, vcekDer: vcek });
    },
  };
}

/** The az-tdx-vtpm attester. */
export async function azTdxVtpmAttester(opts: AzVtpmOptions): Promise<Attester> {
  await common(opts.transport);
  return {
    tee: 'az-tdx-vtpm',
    ...vtpmBinding(opts.transport),
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      const g = await gather(opts.transport, reportData);
      const tdQuote = await imdsTdQuote(opts.imdsFetch, g.hcl.subarray(HCL_HEADER, HCL_HEADER + TD_REPORT_SIZE));
      const q = g.quote;
      const tpm_quote = { signature: toHex(q.signature), message: toHex(q.message), pcrs: q.pcrs.map(toHex) };
      return { version: 2, tpm_quote, hcl_report: toBase64UrlPadded(g.hcl), td_quote: toBase64UrlPadded(tdQuote) };
    },
  };
}
