/**
 * The `sample` RVPS extractor (reference/trustee.md §4): `payload` is standard base64 of a JSON
 * object; each member becomes one reference value named by its key. No signature check.
 * @module
 */
import { MalformedInput, expectObject, fromBase64, fromUtf8, parseJsonText, type JsonValue } from '../../../core/index.js';

export interface ExtractedValue {
  name: string;
  value: JsonValue;
}

export function extractSample(payload: string): ExtractedValue[] {
  const text = fromUtf8(fromBase64(payload, 'payload'), 'payload');
  const obj = expectObject(parseJsonText(text, 'payload'), 'payload');
  const out: ExtractedValue[] = [];
  for (const [name, value] of Object.entries(obj)) {
    if (name === '') throw new MalformedInput('payload: empty reference value name', { where: 'payload' });
    out.push({ name, value: value as JsonValue });
  }
  return out;
}
