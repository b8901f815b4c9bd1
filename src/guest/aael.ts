/**
 * Runtime measurements as an AA event log (trustee `kbs/docs/confidential-containers-eventlog.md`,
 * reference/guest-components.md §7): each event `"<domain> <operation> <content>"` becomes a TCG2
 * crypto-agile entry (EV_EVENT_TAG with an `AAEL` tagged event), its digest = H(event data) is
 * extended into the TEE register (PCR 17 by default), and the entries are appended to the log
 * that travels with the evidence. Log file appends are optional.
 * @module
 */
import { appendFile } from 'node:fs/promises';
import { MalformedInput, concatBytes, digest, utf8, type HashAlgorithm } from '../core/index.js';
import type { Attester } from './attester/attester.js';
import { rtmrOfPcr } from './attester/tdx.js';

/** `AAEL` as a little-endian u32 tagged-event id. */
const AAEL_TAG = 0x4141454c;
const EV_EVENT_TAG = 0x6;
/** TCG algorithm ids (TCG Algorithm Registry). */
const TCG_ALG: Record<string, number> = { sha256: 0x0b, sha384: 0x0c, sha512: 0x0d };
/** Upstream's default event-log file. */
export const AAEL_PATH = '/run/attestation-agent/eventlog';

export type MeasureResult = 'ok' | 'not-supported' | 'not-enabled';

function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** Tagged event data: `AAEL` id ‖ length ‖ `"<domain> <operation> <content>"`. */
export function aaelEventData(domain: string, operation: string, content: string): Uint8Array {
  for (const [k, v] of [['domain', domain], ['operation', operation], ['content', content]] as const) {
    if (v.includes('\n')) throw new MalformedInput(`runtime measurement ${k} must not contain a newline`, { where: k });
  }
  if (domain === '' || operation === '' || /\s/.test(domain) || /\s/.test(operation)) {
    throw new MalformedInput('runtime measurement domain and operation must be non-empty words', { where: 'domain' });
  }
  const text = utf8(`${domain} ${operation} ${content}`);
  return concatBytes(u32le(AAEL_TAG), u32le(text.length), text);
}

/** One TCG2 entry: target MR ‖ EV_EVENT_TAG ‖ 1 digest (alg ‖ H(event)) ‖ event size ‖ event. */
export function aaelEntry(targetMr: number, alg: HashAlgorithm, eventData: Uint8Array): { entry: Uint8Array; digest: Uint8Array } {
  const algId = TCG_ALG[alg];
  if (algId === undefined) throw new MalformedInput(`no TCG id for ${alg}`, { where: 'alg' });
  const d = digest(alg, eventData);
  const alg16 = Uint8Array.of(algId & 0xff, algId >> 8);
  return { entry: concatBytes(u32le(targetMr), u32le(EV_EVENT_TAG), u32le(1), alg16, d, u32le(eventData.length), eventData), digest: d };
}

export interface RuntimeMeasurerOptions {
  attester: Attester;
  enabled: boolean;
  /** Default register (upstream `init_pcr`, 17). */
  initPcr?: number;
  /** Append entries to this file as well (upstream `/run/attestation-agent/eventlog`). */
  logPath?: string;
}

/** Extends runtime measurements and keeps the AAEL. */
export class RuntimeMeasurer {
  private readonly opts: RuntimeMeasurerOptions;
  private readonly entries: Uint8Array[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  constructor(opts: RuntimeMeasurerOptions) {
    this.opts = opts;
  }

  /** The log so far (concatenated entries, no header). */
  log(): Uint8Array {
    return concatBytes(...this.entries);
  }

  /** Record and extend one event; serialised so the log order equals the extend order. */
  extend(domain: string, operation: string, content: string, pcr?: number): Promise<MeasureResult> {
    const run = () => this.extendNow(domain, operation, content, pcr);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async extendNow(domain: string, operation: string, content: string, pcr?: number): Promise<MeasureResult> {
    if (!this.opts.enabled) return 'not-enabled';
    const a = this.opts.attester;
    if (!a.extendRuntimeMeasurement || !a.runtimeMeasurementAlgorithm) return 'not-supported';
    const index = pcr ?? this.opts.initPcr ?? 17;
    const targetMr = a.tee === 'tdx' ? rtmrOfPcr(index) + 1 : index;
    const { entry, digest: d } = aaelEntry(targetMr, a.runtimeMeasurementAlgorithm, aaelEventData(domain, operation, content));
    await a.extendRuntimeMeasurement(d, index);
    this.entries.push(entry);
    if (this.opts.logPath) await appendFile(this.opts.logPath, entry);
    return 'ok';
  }
}
