/**
 * Generic TPM evidence (guest-components `attester/src/tpm`, trustee `tpm/mod.rs`):
 * `{"ak_public": "<base64 DER SPKI>", "tpm_quote": {"signature": "<base64 TPMT_SIGNATURE>",
 * "message": "<base64 TPMS_ATTEST>", "pcrs": ["<hex SHA-256 PCR>" x24]}}`.
 * @module
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { MalformedInput, expectArray, expectObject, expectString, fromBase64, fromHex, toBase64, toHex } from '../../core/index.js';
import { parseTpmtSignature } from '../common/tpm/signature.js';
import type { TpmQuote } from '../common/tpm/quote.js';

export interface TpmEvidence {
  /** The base64 text as sent: the claim the policy compares with the trusted AKs. */
  akPublicText: string;
  akPublic: KeyObject;
  quote: TpmQuote;
}

const PCR_COUNT = 24;

/** Parse generic TPM evidence; throws `MalformedInput` naming the field. */
export function parseTpmEvidence(input: unknown): TpmEvidence {
  const o = expectObject(input, 'evidence');
  const akPublicText = expectString(o.ak_public, 'evidence.ak_public');
  let akPublic: KeyObject;
  try {
    akPublic = createPublicKey({ key: Buffer.from(fromBase64(akPublicText, 'evidence.ak_public')), format: 'der', type: 'spki' });
  } catch (cause) {
    if (cause instanceof MalformedInput) throw cause;
    throw new MalformedInput('evidence.ak_public: not a DER SubjectPublicKeyInfo', { where: 'evidence.ak_public', cause });
  }
  const q = expectObject(o.tpm_quote, 'evidence.tpm_quote');
  const pcrs = expectArray(q.pcrs, 'evidence.tpm_quote.pcrs');
  if (pcrs.length !== PCR_COUNT) throw new MalformedInput(`evidence.tpm_quote.pcrs: expected ${PCR_COUNT} PCRs, got ${pcrs.length}`, { where: 'evidence.tpm_quote.pcrs' });
  return {
    akPublicText,
    akPublic,
    quote: {
      signature: parseTpmtSignature(fromBase64(expectString(q.signature, 'evidence.tpm_quote.signature'), 'evidence.tpm_quote.signature')),
      message: fromBase64(expectString(q.message, 'evidence.tpm_quote.message'), 'evidence.tpm_quote.message'),
      pcrs: pcrs.map((p, i) => {
        const w = `evidence.tpm_quote.pcrs[${i}]`;
        const b = fromHex(expectString(p, w), w);
        if (b.length !== 32) throw new MalformedInput(`${w}: a SHA-256 PCR has 32 bytes`, { where: w });
        return b;
      }),
    },
  };
}

/** Build generic TPM evidence (what the `tpm` attester sends). `signature` is a marshalled TPMT_SIGNATURE. */
export function encodeTpmEvidence(e: { akPublicDer: Uint8Array; message: Uint8Array; signature: Uint8Array; pcrs: Uint8Array[] }): Record<string, unknown> {
  return {
    ak_public: toBase64(e.akPublicDer),
    tpm_quote: { signature: toBase64(e.signature), message: toBase64(e.message), pcrs: e.pcrs.map(toHex) },
  };
}
