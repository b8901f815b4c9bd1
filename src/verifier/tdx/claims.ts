/**
 * TDX claims in upstream's shape (`parse_tdx_claims_expected.json`): every quote field as lowercase
 * hex of its raw bytes, `td_attributes` flags, `report_data`, `init_data` (= MRCONFIGID),
 * `platform_instance_id` (Platform CA only) and the event log as `uefi_event_logs`.
 * @module
 */
import { toHex } from '../../core/index.js';
import { eventLogClaims, type CcEventLog } from '../common/eventlog/index.js';
import type { PlatformInfo } from './pck.js';
import type { TdQuote, TdReportBody } from './quote.js';

/** TD attribute bits (TDX module ABI, TDINFO_STRUCT.ATTRIBUTES) that upstream reports by name. */
const TD_ATTRIBUTE_BITS = [
  ['debug', 0n],
  ['septve_disable', 28n],
  ['protection_keys', 30n],
  ['key_locker', 31n],
  ['perfmon', 63n],
] as const;

/** Decode the named TD attribute flags of the little-endian 8-byte `td_attributes`. */
export function tdAttributeFlags(raw: Uint8Array): Record<string, boolean> {
  const v = new DataView(raw.buffer, raw.byteOffset, 8).getBigUint64(0, true);
  const out: Record<string, boolean> = {};
  for (const [name, bit] of TD_ATTRIBUTE_BITS) out[name] = ((v >> bit) & 1n) === 1n;
  return out;
}

function bodyClaims(b: TdReportBody): Record<string, string> {
  const out: Record<string, string> = {
    tcb_svn: toHex(b.teeTcbSvn),
    mr_seam: toHex(b.mrSeam),
    mrsigner_seam: toHex(b.mrSignerSeam),
    seam_attributes: toHex(b.seamAttributes),
    td_attributes: toHex(b.tdAttributes),
    xfam: toHex(b.xfam),
    mr_td: toHex(b.mrTd),
    mr_config_id: toHex(b.mrConfigId),
    mr_owner: toHex(b.mrOwner),
    mr_owner_config: toHex(b.mrOwnerConfig),
    rtmr_0: toHex(b.rtmr[0]),
    rtmr_1: toHex(b.rtmr[1]),
    rtmr_2: toHex(b.rtmr[2]),
    rtmr_3: toHex(b.rtmr[3]),
    report_data: toHex(b.reportData),
  };
  if (b.teeTcbSvn2 && b.mrServiceTd) {
    out.tee_tcb_svn2 = toHex(b.teeTcbSvn2);
    out.mr_servicetd = toHex(b.mrServiceTd);
  }
  return out;
}

/** Claims of a parsed quote (+ event log and PCK platform info), without the DCAP supplemental claims. */
export function toTdxClaims(quote: TdQuote, ccel: CcEventLog | undefined, platform: PlatformInfo): Record<string, unknown> {
  const h = quote.header.raw;
  const quoteClaims: Record<string, unknown> = {
    header: {
      version: toHex(h.version),
      att_key_type: toHex(h.attKeyType),
      tee_type: toHex(h.teeType),
      reserved: toHex(h.reserved),
      vendor_id: toHex(h.vendorId),
      user_data: toHex(h.userData),
    },
    body: bodyClaims(quote.body),
  };
  if (quote.v5) {
    quoteClaims.type = toHex(quote.v5.rawType);
    quoteClaims.size = toHex(quote.v5.rawSize);
  }
  const claims: Record<string, unknown> = {};
  if (ccel) claims.uefi_event_logs = eventLogClaims(ccel);
  claims.quote = quoteClaims;
  claims.td_attributes = tdAttributeFlags(quote.body.tdAttributes);
  claims.report_data = toHex(quote.body.reportData);
  claims.init_data = toHex(quote.body.mrConfigId);
  if (platform.platformInstanceId) claims.platform_instance_id = toHex(platform.platformInstanceId);
  return claims;
}
