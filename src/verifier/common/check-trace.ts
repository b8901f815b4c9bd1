/**
 * A check trace: each verifier records every named check it runs, so the Attestation Service's
 * audit record can say exactly which check failed and which passed before it.
 * @module
 */
import { VerificationFailed, type CheckRecord } from '../../core/index.js';

export class CheckTrace {
  readonly records: CheckRecord[] = [];

  /** Record a passed check. */
  pass(id: string, detail?: { expected?: string; actual?: string; detail?: string }): void {
    this.records.push({ id, ok: true, ...detail });
  }

  /** Record a failed check and throw `VerificationFailed` carrying the trace. */
  fail(id: string, message: string, detail?: { expected?: string; actual?: string; cause?: unknown }): never {
    const rec: CheckRecord = { id, ok: false, detail: message };
    if (detail?.expected !== undefined) rec.expected = detail.expected;
    if (detail?.actual !== undefined) rec.actual = detail.actual;
    this.records.push(rec);
    throw new VerificationFailed(id, `${id}: ${message}`, { trace: [...this.records], cause: detail?.cause });
  }

  /** Pass when `ok`, else fail with `message`. */
  require(ok: boolean, id: string, message: string, detail?: { expected?: string; actual?: string }): void {
    if (ok) this.pass(id);
    else this.fail(id, message, detail);
  }
}
