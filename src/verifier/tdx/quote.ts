/**
 * Intel DCAP quote layout (v4 and v5, ECDSA-256 with P-256), parsed once into typed views.
 * Spec: Intel TDX DCAP Quoting Library API, Appendix A "Quote Format" (v4 §A.3, v5 §A.4);
 * SGX report body: Intel SDM Vol. 3D §38.15 (`REPORTBODY`).
 * @module
 */
import { ByteReader, MalformedInput, isAllZero } from '../../core/index.js';

/** Quote header (48 bytes). */
export const HEADER_SIZE = 48;
/** TD report body of TDX 1.0 (quote v4, v5 type 2). */
export const TD10_BODY_SIZE = 584;
/** TD report body of TDX 1.5 (v5 type 3): TDX 1.0 body + TEE_TCB_SVN2 (16) + MRSERVICETD (48). */
export const TD15_BODY_SIZE = 648;
/** SGX enclave report body (the QE report). */
export const SGX_REPORT_BODY_SIZE = 384;
/** ECDSA P-256 signature r‖s and public key x‖y. */
const ECDSA_SIG_SIZE = 64;
const ECDSA_KEY_SIZE = 64;
/** `att_key_type` 2 = ECDSA-256-with-P-256 curve. */
export const ATT_KEY_TYPE_ECDSA_P256 = 2;
/** `tee_type` 0x81 = TDX (0x00 = SGX). */
export const TEE_TYPE_TDX = 0x81;
/** Certification data types (DCAP API §A.3.9): 5 = PCK chain PEM, 6 = QE report certification data. */
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;
/** Refuse absurd declared sizes before allocating (a real quote is ~5 KiB). */
const MAX_QUOTE_SIZE = 64 * 1024;

export interface QuoteHeader {
  version: number;
  attKeyType: number;
  teeType: number;
  /** Raw 2-byte LE fields as they appear (claims are hex of the raw bytes). */
  raw: { version: Uint8Array; attKeyType: Uint8Array; teeType: Uint8Array; reserved: Uint8Array; vendorId: Uint8Array; userData: Uint8Array };
}

/** TD report body (TDX 1.0 fields, plus the two TDX 1.5 fields when present). */
export interface TdReportBody {
  teeTcbSvn: Uint8Array;
  mrSeam: Uint8Array;
  mrSignerSeam: Uint8Array;
  seamAttributes: Uint8Array;
  tdAttributes: Uint8Array;
  xfam: Uint8Array;
  mrTd: Uint8Array;
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  rtmr: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  reportData: Uint8Array;
  teeTcbSvn2?: Uint8Array;
  mrServiceTd?: Uint8Array;
}

/** SGX report body of the Quoting Enclave. */
export interface SgxReportBody {
  raw: Uint8Array;
  cpuSvn: Uint8Array;
  miscSelect: number;
  attributes: Uint8Array;
  mrEnclave: Uint8Array;
  mrSigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

export interface TdQuote {
  header: QuoteHeader;
  /** v5 only: body type (2 = TDX 1.0, 3 = TDX 1.5) and its raw 2 + 4 bytes. */
  v5?: { bodyType: number; rawType: Uint8Array; rawSize: Uint8Array };
  body: TdReportBody;
  /** The bytes the attestation key signed: header ‖ (v5 type ‖ size ‖) body. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  attestationKey: Uint8Array;
  qeReport: SgxReportBody;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** PEM text of the PCK certificate chain (leaf, intermediate CA, root CA). */
  pckChainPem: string;
}

function fail(msg: string, where: string): never {
  throw new MalformedInput(`TDX quote: ${msg}`, { where });
}

function parseHeader(r: ByteReader): QuoteHeader {
  const start = r.offset;
  const version = r.u16le();
  const attKeyType = r.u16le();
  const teeType = r.u32le();
  r.offset = start;
  const raw = {
    version: r.bytesN(2),
    attKeyType: r.bytesN(2),
    teeType: r.bytesN(4),
    reserved: r.bytesN(4),
    vendorId: r.bytesN(16),
    userData: r.bytesN(20),
  };
  return { version, attKeyType, teeType, raw };
}

function parseTdBody(r: ByteReader, tdx15: boolean): TdReportBody {
  const b: TdReportBody = {
    teeTcbSvn: r.bytesN(16),
    mrSeam: r.bytesN(48),
    mrSignerSeam: r.bytesN(48),
    seamAttributes: r.bytesN(8),
    tdAttributes: r.bytesN(8),
    xfam: r.bytesN(8),
    mrTd: r.bytesN(48),
    mrConfigId: r.bytesN(48),
    mrOwner: r.bytesN(48),
    mrOwnerConfig: r.bytesN(48),
    rtmr: [r.bytesN(48), r.bytesN(48), r.bytesN(48), r.bytesN(48)],
    reportData: r.bytesN(64),
  };
  if (tdx15) {
    b.teeTcbSvn2 = r.bytesN(16);
    b.mrServiceTd = r.bytesN(48);
  }
  return b;
}

/** Parse a 384-byte SGX report body (used for the QE report). */
export function parseSgxReportBody(bytes: Uint8Array): SgxReportBody {
  const r = new ByteReader(bytes, 'QE report');
  const cpuSvn = r.bytesN(16);
  const miscSelect = r.u32le();
  r.skip(28);
  const attributes = r.bytesN(16);
  const mrEnclave = r.bytesN(32);
  r.skip(32);
  const mrSigner = r.bytesN(32);
  r.skip(96);
  const isvProdId = r.u16le();
  const isvSvn = r.u16le();
  r.skip(60);
  const reportData = r.bytesN(64);
  return { raw: bytes, cpuSvn, miscSelect, attributes, mrEnclave, mrSigner, isvProdId, isvSvn, reportData };
}

/**
 * Parse a TDX quote v4 or v5. SGX quotes (v3, tee_type 0) and other key types are `Unsupported`
 * in spirit but reported as `MalformedInput` here, because a TDX verifier was handed something else.
 * @throws MalformedInput on any layout violation (truncation, wrong types, bad sizes)
 */
export function parseTdQuote(bytes: Uint8Array): TdQuote {
  if (bytes.length > MAX_QUOTE_SIZE) fail(`${bytes.length} bytes is larger than any quote`, 'quote');
  const r = new ByteReader(bytes, 'TDX quote');
  const header = parseHeader(r);
  if (header.version !== 4 && header.version !== 5) fail(`version ${header.version} is not a TDX quote (4 or 5)`, 'quote.header.version');
  if (header.teeType !== TEE_TYPE_TDX) fail(`tee_type 0x${header.teeType.toString(16)} is not TDX (0x81)`, 'quote.header.tee_type');
  if (header.attKeyType !== ATT_KEY_TYPE_ECDSA_P256) fail(`attestation key type ${header.attKeyType} is not ECDSA-P256`, 'quote.header.att_key_type');

  let v5: TdQuote['v5'];
  let body: TdReportBody;
  if (header.version === 4) {
    body = parseTdBody(r, false);
  } else {
    const rawType = r.bytesN(2);
    const rawSize = r.bytesN(4);
    const bodyType = rawType[0]! | (rawType[1]! << 8);
    const size = new DataView(rawSize.buffer, rawSize.byteOffset, 4).getUint32(0, true);
    if (bodyType === 2 && size === TD10_BODY_SIZE) body = parseTdBody(r, false);
    else if (bodyType === 3 && size === TD15_BODY_SIZE) body = parseTdBody(r, true);
    else fail(`v5 body type ${bodyType} with size ${size} is not a TD report (2/584 or 3/648)`, 'quote.body.type');
    v5 = { bodyType, rawType, rawSize };
  }
  const signedBytes = bytes.subarray(0, r.offset);

  const sigLen = r.u32le();
  if (sigLen > r.remaining) fail(`signature data of ${sigLen} bytes overruns the quote`, 'quote.signature_data_len');
  const sigEnd = r.offset + sigLen;
  if (!isAllZero(bytes.subarray(sigEnd))) fail('non-zero bytes after the signature data', 'quote.trailer');
  const s = new ByteReader(bytes.subarray(0, sigEnd), 'TDX quote signature data', r.offset);
  const signature = s.bytesN(ECDSA_SIG_SIZE);
  const attestationKey = s.bytesN(ECDSA_KEY_SIZE);
  const certType = s.u16le();
  const certSize = s.u32le();
  if (certType !== CERT_DATA_QE_REPORT) fail(`certification data type ${certType} is not QE report data (6)`, 'quote.certification_data.type');
  if (certSize !== s.remaining) fail(`certification data size ${certSize} does not match the ${s.remaining} bytes left`, 'quote.certification_data.size');
  const qeReport = parseSgxReportBody(s.bytesN(SGX_REPORT_BODY_SIZE));
  const qeReportSignature = s.bytesN(ECDSA_SIG_SIZE);
  const authLen = s.u16le();
  const qeAuthData = s.bytesN(authLen);
  const innerType = s.u16le();
  const innerSize = s.u32le();
  if (innerType !== CERT_DATA_PCK_CHAIN) fail(`inner certification data type ${innerType} is not a PCK chain (5)`, 'quote.qe_certification_data.type');
  if (innerSize !== s.remaining) fail(`PCK chain size ${innerSize} does not match the ${s.remaining} bytes left`, 'quote.qe_certification_data.size');
  const chainBytes = s.bytesN(innerSize);
  // The chain is PEM text, often NUL-terminated.
  let end = chainBytes.length;
  while (end > 0 && chainBytes[end - 1] === 0) end--;
  let pckChainPem: string;
  try {
    pckChainPem = new TextDecoder('utf-8', { fatal: true }).decode(chainBytes.subarray(0, end));
  } catch {
    fail('PCK chain is not UTF-8 PEM text', 'quote.qe_certification_data');
  }
  return { header, v5, body, signedBytes, signature, attestationKey, qeReport, qeReportSignature, qeAuthData, pckChainPem };
}
