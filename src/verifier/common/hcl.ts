/**
 * The Azure paravisor (HCL) attestation report: a 32-byte header, the hardware report (an SEV-SNP
 * report or a TDX TDREPORT), the IGVM request data and the JSON "variable data" whose SHA-256 the
 * hardware report binds in its report_data. Layout: azure-cvm-tooling `az-cvm-vtpm/src/hcl`.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ByteReader, MalformedInput, expectArray, expectObject, expectString, fromBase64Url, fromHex, fromUtf8, parseJsonText } from '../../core/index.js';

/** Offsets (azure-cvm-tooling `hcl/mod.rs`). */
export const HCL = {
  HEADER_SIZE: 0x20,
  /** The hardware report starts right after the header; its slot is 1184 bytes (an SNP report). */
  HW_REPORT_OFFSET: 0x20,
  HW_REPORT_SLOT: 1184,
  /** TDX TDREPORT size inside the slot. */
  TD_REPORT_SIZE: 1024,
  SNP_REPORT_SIZE: 1184,
  /** IgvmRequestData: five u32 (data_size, version, report_type, hash_type, variable_data_size). */
  REQUEST_DATA_OFFSET: 0x4c0,
  VAR_DATA_OFFSET: 0x4d4,
  MAGIC: 'HCLA',
} as const;

/** IGVM report types (IgvmAttestReportType). */
export const HCL_REPORT_TYPE = { snp: 2, tdx: 4 } as const;
/** IgvmHashType: 1 = SHA-256 of the variable data. */
export const HCL_HASH_SHA256 = 1;

export interface HclReport {
  header: { version: number; reportSize: number; requestType: number; status: number };
  reportType: 'snp' | 'tdx';
  /** The hardware report bytes (1184 for SNP, 1024 for a TDREPORT); a view into the input. */
  hwReport: Uint8Array;
  requestData: { dataSize: number; version: number; reportType: number; hashType: number; variableDataSize: number };
  /** The runtime-claims JSON bytes whose SHA-256 the hardware report binds. */
  varData: Uint8Array;
}

/** Parse the binary HCL report; throws `MalformedInput` on a bad magic, unknown type or truncation. */
export function parseHclReport(bytes: Uint8Array): HclReport {
  const r = new ByteReader(bytes, 'HCL report');
  const magic = fromUtf8(r.bytesN(4), 'hcl.header.signature');
  if (magic !== HCL.MAGIC) throw new MalformedInput('HCL report: header signature is not "HCLA"', { where: 'hcl.header.signature' });
  const header = { version: r.u32le(), reportSize: r.u32le(), requestType: r.u32le(), status: r.u32le() };
  r.offset = HCL.REQUEST_DATA_OFFSET;
  const requestData = { dataSize: r.u32le(), version: r.u32le(), reportType: r.u32le(), hashType: r.u32le(), variableDataSize: r.u32le() };
  let reportType: 'snp' | 'tdx';
  if (requestData.reportType === HCL_REPORT_TYPE.snp) reportType = 'snp';
  else if (requestData.reportType === HCL_REPORT_TYPE.tdx) reportType = 'tdx';
  else throw new MalformedInput(`HCL report: report type ${requestData.reportType} is not SNP (2) or TDX (4)`, { where: 'hcl.request_data.report_type' });
  if (requestData.hashType !== HCL_HASH_SHA256) throw new MalformedInput(`HCL report: hash type ${requestData.hashType} is not SHA-256`, { where: 'hcl.request_data.hash_type' });
  const varData = r.bytesN(requestData.variableDataSize);
  const hwLen = reportType === 'snp' ? HCL.SNP_REPORT_SIZE : HCL.TD_REPORT_SIZE;
  const hwReport = bytes.subarray(HCL.HW_REPORT_OFFSET, HCL.HW_REPORT_OFFSET + hwLen);
  return { header, reportType, hwReport, requestData, varData };
}

/** What the variable data (runtime claims JSON) tells a verifier. */
export interface HclVarData {
  /** The vTPM attestation key (`kid` "HCLAkPub", an RSA JWK). */
  akPub: KeyObject;
  /** `user-data` (hex; the attester's report data), when present. */
  userData?: Uint8Array;
}

/**
 * Parse the variable data JSON: the AK public key and the optional user-data.
 * Throws `MalformedInput` when the JSON, the AK or the user-data is malformed.
 */
export function parseHclVarData(varData: Uint8Array): HclVarData {
  const doc = expectObject(parseJsonText(fromUtf8(varData, 'hcl.var_data'), 'hcl.var_data'), 'hcl.var_data');
  const keys = expectArray(doc.keys, 'hcl.var_data.keys');
  const ak = keys.map((k, i) => expectObject(k, `hcl.var_data.keys[${i}]`)).find((k) => k.kid === 'HCLAkPub');
  if (!ak) throw new MalformedInput('HCL variable data has no HCLAkPub key', { where: 'hcl.var_data.keys' });
  if (ak.kty !== 'RSA') throw new MalformedInput('HCLAkPub is not an RSA key', { where: 'hcl.var_data.keys.HCLAkPub' });
  let akPub: KeyObject;
  try {
    const n = expectString(ak.n, 'HCLAkPub.n');
    const e = expectString(ak.e, 'HCLAkPub.e');
    fromBase64Url(n, 'HCLAkPub.n');
    fromBase64Url(e, 'HCLAkPub.e');
    akPub = createPublicKey({ key: { kty: 'RSA', n, e }, format: 'jwk' });
  } catch (cause) {
    if (cause instanceof MalformedInput) throw cause;
    throw new MalformedInput('HCLAkPub is not a valid RSA public key', { where: 'hcl.var_data.keys.HCLAkPub', cause });
  }
  const out: HclVarData = { akPub };
  if (doc['user-data'] !== undefined) out.userData = fromHex(expectString(doc['user-data'], 'hcl.var_data.user-data'), 'hcl.var_data.user-data');
  return out;
}
