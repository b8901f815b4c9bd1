/**
 * The SEV-SNP attester over configfs-tsm (provider `sev_guest`): the 1184-byte report with
 * 64-byte report data, and the host's certificate table from `auxblob` as upstream's
 * `cert_chain` (GHCB spec GUID table: 16-byte GUID, u32 offset, u32 length, all-zero terminator).
 * The evidence JSON (`{"attestation_report": …, "cert_chain": …}`, byte arrays as integer arrays)
 * is built by the SNP verifier's codec (`encodeSnpEvidence`) so both sides agree on the shape.
 * @module
 */
import { ByteReader, MalformedInput, Unsupported, VerificationFailed, bytesEqual, resizeBytes, toHex } from '../../core/index.js';
import { encodeSnpEvidence, type SnpCertEntry } from '../../verifier/index.js';
import type { Attester, BindResult } from './attester.js';
import { tsmReport, type TsmFs } from './configfs-tsm.js';

/** SEV-SNP ABI (AMD 56860) Table 22: HOST_DATA at 0xC0, 32 bytes; report is 0x4A0 bytes. */
export const SNP_REPORT_SIZE = 0x4a0;
export const SNP_HOST_DATA_OFFSET = 0xc0;

const CERT_GUIDS: Record<string, 'ARK' | 'ASK' | 'VCEK' | 'VLEK' | 'CRL'> = {
  'c0b406a4-a803-4952-9743-3fb6014cd0ae': 'ARK',
  '4ab7b379-bbac-4fe4-a02f-05aef327c782': 'ASK',
  '63da758d-e664-4564-adc5-f4b93be8accd': 'VCEK',
  'a8074bc2-a25a-483e-aae6-39c045a0b8a1': 'VLEK',
  '92f81bc3-5811-4d3d-97ff-d19f88dc67ea': 'CRL',
};

function guidText(b: Uint8Array): string {
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parse the GHCB certificate table (as returned in `auxblob` / the extended report). */
export function parseSnpCertTable(table: Uint8Array): SnpCertEntry[] {
  const r = new ByteReader(table, 'SNP certificate table');
  const out: SnpCertEntry[] = [];
  for (;;) {
    const guid = r.bytesN(16);
    const offset = r.u32le();
    const length = r.u32le();
    if (guid.every((b) => b === 0)) break;
    if (offset + length > table.length || offset < r.offset) throw new MalformedInput('certificate table entry points outside the table', { where: 'auxblob' });
    const g = guidText(guid);
    out.push({ certType: CERT_GUIDS[g] ?? { OTHER: g }, data: table.slice(offset, offset + length) });
    if (out.length > 64) throw new MalformedInput('certificate table has too many entries', { where: 'auxblob' });
  }
  return out;
}

/** Builds the evidence JSON from the raw report and certificate table (the SNP verifier's codec). */
export type SnpEvidenceEncoder = (report: Uint8Array, certs: SnpCertEntry[] | null) => unknown;

export interface SnpAttesterOptions {
  /** Default: the SNP verifier's `encodeSnpEvidence`. */
  encode?: SnpEvidenceEncoder;
  tsmRoot?: string;
  fs?: TsmFs;
}

/** Create the SNP attester. */
export function snpAttester(opts: SnpAttesterOptions): Attester {
  const report = async (reportData: Uint8Array) => {
    if (reportData.length > 64) throw new Unsupported('SNP report data is at most 64 bytes');
    const r = await tsmReport({ provider: 'sev_guest', root: opts.tsmRoot, fs: opts.fs, wantAux: true }, resizeBytes(reportData, 64));
    if (r.outblob.length < SNP_REPORT_SIZE) throw new MalformedInput(`SNP report is ${r.outblob.length} bytes, expected ${SNP_REPORT_SIZE}`, { where: 'outblob' });
    return { report: r.outblob.subarray(0, SNP_REPORT_SIZE), certs: r.auxblob ? parseSnpCertTable(r.auxblob) : null };
  };
  return {
    tee: 'snp',
    async getEvidence(reportData: Uint8Array): Promise<unknown> {
      const r = await report(reportData);
      return (opts.encode ?? encodeSnpEvidence)(r.report, r.certs);
    },
    async bindInitData(digest: Uint8Array): Promise<BindResult> {
      const { report: rep } = await report(new Uint8Array(64));
      const hostData = rep.subarray(SNP_HOST_DATA_OFFSET, SNP_HOST_DATA_OFFSET + 32);
      if (!bytesEqual(hostData, resizeBytes(digest, 32))) {
        throw new VerificationFailed('snp.init_data', `initdata digest does not match HOST_DATA (${toHex(hostData)})`);
      }
      return 'bound';
    },
  };
}
