/**
 * The checks every TPM-quote verifier shares (generic TPM, Azure SNP and TDX vTPM): the quote is
 * signed by the attestation key, it is a quote, and its PCR digest covers the PCR values the
 * evidence claims. Check ids are `<prefix>.quote.signature`, `<prefix>.quote.parse`,
 * `<prefix>.quote.pcr_digest`.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { MalformedInput, bytesEqual, toHex } from '../../../core/index.js';
import type { CheckTrace } from '../check-trace.js';
import { computePcrDigest, parseTpmsAttest, type TpmsAttest } from './attest.js';
import { verifyTpmSignature, type TpmSignature } from './signature.js';

/** A quote as evidence carries it: the signed TPMS_ATTEST bytes, its signature and the PCR values. */
export interface TpmQuote {
  message: Uint8Array;
  signature: TpmSignature;
  /** SHA-256 PCR values, index = PCR number. */
  pcrs: Uint8Array[];
}

/**
 * Verify signature, structure and PCR digest; returns the parsed TPMS_ATTEST.
 * @throws VerificationFailed naming the failed check
 */
export function verifyTpmQuote(quote: TpmQuote, ak: KeyObject, trace: CheckTrace, prefix: string): TpmsAttest {
  trace.require(verifyTpmSignature(quote.message, quote.signature, ak), `${prefix}.quote.signature`, 'the quote is not signed by the attestation key');
  let attest: TpmsAttest;
  try {
    attest = parseTpmsAttest(quote.message);
  } catch (cause) {
    if (!(cause instanceof MalformedInput)) throw cause;
    return trace.fail(`${prefix}.quote.parse`, `the signed quote does not parse: ${cause.message}`, { cause });
  }
  trace.pass(`${prefix}.quote.parse`);
  const sel = attest.pcrSelections;
  const all = sel.length === 1 && sel[0]!.pcrs.length === quote.pcrs.length && sel[0]!.pcrs.every((p, i) => p === i);
  trace.require(all, `${prefix}.quote.pcr_selection`, 'the quote must select exactly the PCRs the evidence reports, in one bank');
  let actual: Uint8Array;
  try {
    actual = computePcrDigest(sel, quote.pcrs);
  } catch (cause) {
    return trace.fail(`${prefix}.quote.pcr_digest`, (cause as Error).message, { cause });
  }
  trace.require(bytesEqual(actual, attest.pcrDigest), `${prefix}.quote.pcr_digest`, 'the digest of the reported PCRs does not match the quote', {
    expected: toHex(attest.pcrDigest),
    actual: toHex(actual),
  });
  return attest;
}
