/**
 * CoCo AA event log (AAEL) entries: the runtime-measurement events the attestation agent appends
 * after the firmware CC event log, as TCG2 crypto-agile entries of type EV_EVENT_TAG whose tagged
 * event id is "AAEL" and whose text is `<domain> <operation> <content>`.
 * Spec: trustee `kbs/docs/confidential-containers-eventlog.md`; reference guest-components.md §7.
 * @module
 */
import { MalformedInput, concatBytes, utf8 } from '../../../core/index.js';
import { TCG_ALG_IDS, EV_EVENT_TAG, tcgHash } from './tcg.js';

/** Tagged event id `AAEL` (0x4141454C, little-endian on the wire). */
export const AAEL_TAGGED_EVENT_ID = 0x4141454c;

/** A parsed AAEL event: content is JSON when it parses as JSON, else the raw text. */
export interface AaelEvent {
  domain: string;
  operation: string;
  content: unknown;
}

/** Split `<domain> <operation> <content>` at its first two spaces. */
export function parseAaelText(text: string): AaelEvent {
  const a = text.indexOf(' ');
  const b = a < 0 ? -1 : text.indexOf(' ', a + 1);
  if (a < 0 || b < 0) throw new MalformedInput('AAEL event: expected "<domain> <operation> <content>"', { where: 'aael' });
  const raw = text.slice(b + 1);
  let content: unknown;
  try {
    content = JSON.parse(raw);
  } catch {
    content = raw;
  }
  return { domain: text.slice(0, a), operation: text.slice(a + 1, b), content };
}

export type AaelAlgorithm = keyof typeof TCG_ALG_IDS;

function le32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** The tagged event data of an AAEL entry: `"AAEL"` id ‖ length ‖ UTF-8 event text. */
export function aaelEventData(domain: string, operation: string, content: string): Uint8Array {
  if (domain.includes(' ') || operation.includes(' ')) throw new MalformedInput('AAEL domain and operation must not contain spaces', { where: 'aael' });
  if (content.includes('\n')) throw new MalformedInput('AAEL content must not contain a newline', { where: 'aael' });
  const text = utf8(`${domain} ${operation} ${content}`);
  return concatBytes(le32(AAEL_TAGGED_EVENT_ID), le32(text.length), text);
}

/**
 * Encode one AAEL entry as a TCG2 crypto-agile event for measurement register `mrIndex`
 * (CC MR index: RTMR n ↔ n + 1). Returns the entry bytes and the digest that is extended.
 */
export function encodeAaelEntry(mrIndex: number, alg: AaelAlgorithm, domain: string, operation: string, content: string): { entry: Uint8Array; digest: Uint8Array } {
  const data = aaelEventData(domain, operation, content);
  const digest = tcgHash(alg, data)!;
  const algId = new Uint8Array(2);
  new DataView(algId.buffer).setUint16(0, TCG_ALG_IDS[alg], true);
  const entry = concatBytes(le32(mrIndex), le32(EV_EVENT_TAG), le32(1), algId, digest, le32(data.length), data);
  return { entry, digest };
}
