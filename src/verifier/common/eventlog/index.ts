/**
 * CC event log: parsing (CCEL + AAEL), replay into measurement registers, and AAEL encoding for the
 * guest attester.
 * @module
 */
export { parseCcEventLog, eventLogClaims } from './ccel.js';
export type { CcEventLog, CcEvent, EventDigest, EventLogClaim } from './ccel.js';
export { replayRegister, findReplayMismatch } from './replay.js';
export type { ReplayMismatch } from './replay.js';
export { parseAaelText, aaelEventData, encodeAaelEntry, AAEL_TAGGED_EVENT_ID } from './aael.js';
export type { AaelEvent, AaelAlgorithm } from './aael.js';
export { assembleCcEventLog, ccelSpecIdHeader, trimCcel } from './assemble.js';
export type { EventDetails } from './event-data.js';
export type { TcgAlgorithmName } from './tcg.js';
