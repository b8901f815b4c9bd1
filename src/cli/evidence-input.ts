/**
 * What `coco evidence verify` reads: evidence JSON as the guest sends it, or the raw binary a user
 * has at hand — a TD quote (`--tee tdx`, optional `--eventlog` CCEL blob) or a 1184-byte SNP report
 * (`--tee snp`, optional `--vcek` DER/PEM). The raw forms are wrapped into the JSON the verifier
 * expects, so both paths run the very same checks.
 * @module
 */
import { MalformedInput, Unsupported, parseJsonText } from '../core/index.js';
import type { Tee } from '../protocol/index.js';
import { encodeTdxEvidence, snpEvidenceFromReport } from '../verifier/index.js';

/** Extra binary inputs that only make sense with a raw evidence file. */
export interface RawExtras {
  /** CC event log (CCEL, optionally followed by the AAEL) for a raw TD quote. */
  eventLog?: Uint8Array;
  /** VCEK or VLEK certificate (DER or PEM) for a raw SNP report. */
  vek?: Uint8Array;
}

const BOM = [0xef, 0xbb, 0xbf];

/** Index of the first byte that is not JSON whitespace (after an optional UTF-8 BOM). */
function firstContentByte(bytes: Uint8Array): number {
  let i = bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return i;
}

/**
 * True when the bytes are meant as evidence JSON: the first non-blank byte opens an object. No raw
 * form can start that way (a TD quote starts with its version 4 or 5, an SNP report with its version
 * 2..5, both little-endian), so a file starting with `{` that fails to parse is reported as bad JSON
 * rather than retried as binary.
 */
export function looksLikeJson(bytes: Uint8Array): boolean {
  return bytes[firstContentByte(bytes)] === 0x7b /* '{' */;
}

/**
 * Turn the file's bytes into the evidence value the verifier for `tee` takes.
 * @throws MalformedInput for bad JSON or bytes that do not parse; Unsupported for a raw form this
 *   TEE does not have, or extras given with JSON evidence
 */
export function evidenceFromFile(tee: Tee, bytes: Uint8Array, name: string, extras: RawExtras = {}): unknown {
  if (looksLikeJson(bytes)) {
    if (extras.eventLog || extras.vek) throw new Unsupported('--eventlog and --vcek go with a raw quote or report, not with evidence JSON (put them in the JSON)');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new MalformedInput(`${name}: evidence JSON is not valid UTF-8`, { where: name, cause });
    }
    return parseJsonText(text, name);
  }
  if (bytes.length === 0) throw new MalformedInput(`${name}: empty evidence file`, { where: name });
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new MalformedInput(`${name}: looks like UTF-16 text; evidence JSON must be UTF-8`, { where: name });
  }
  switch (tee) {
    case 'tdx':
      if (extras.vek) throw new Unsupported('--vcek is for SNP reports');
      return encodeTdxEvidence(bytes, extras.eventLog ?? null);
    case 'snp':
      if (extras.eventLog) throw new Unsupported('--eventlog is for TD quotes');
      return snpEvidenceFromReport(bytes, extras.vek);
    default:
      throw new Unsupported(`raw binary evidence is understood for --tee tdx (a TD quote) and --tee snp (a 1184-byte report); ${tee} takes evidence JSON`);
  }
}
