/**
 * TDX evidence JSON as the guest attester sends it:
 * `{"cc_eventlog": "<std base64 CCEL (+AAEL)>" | null, "quote": "<std base64 TD quote>"}`
 * (reference/trustee.md §5.4; guest-components.md §1.4).
 * @module
 */
import { MalformedInput, expectObject, expectString, fromBase64, optionalString, toBase64 } from '../../core/index.js';

export interface TdxEvidence {
  quote: Uint8Array;
  /** Absent when the evidence carries no event log (null, missing or empty). */
  ccEventLog?: Uint8Array;
}

/** Parse TDX evidence JSON. @throws MalformedInput */
export function parseTdxEvidence(input: unknown): TdxEvidence {
  const o = expectObject(input, 'evidence');
  const quoteText = expectString(o.quote, 'evidence.quote');
  if (quoteText.length === 0) throw new MalformedInput('evidence.quote: empty TDX quote', { where: 'evidence.quote' });
  const ev: TdxEvidence = { quote: fromBase64(quoteText, 'evidence.quote', true) };
  const log = optionalString(o.cc_eventlog, 'evidence.cc_eventlog');
  if (log) ev.ccEventLog = fromBase64(log, 'evidence.cc_eventlog', true);
  return ev;
}

/** Build TDX evidence JSON from a quote and an optional CC event log (the guest's tdx attester uses this). */
export function encodeTdxEvidence(quote: Uint8Array, ccEventLog?: Uint8Array | null): { cc_eventlog: string | null; quote: string } {
  return { cc_eventlog: ccEventLog && ccEventLog.length > 0 ? toBase64(ccEventLog) : null, quote: toBase64(quote) };
}
