/**
 * Init-data handling in the AS (reference/trustee.md §1.4): the TOML body is digested with its own
 * `algorithm` (exact bytes), and its `data` becomes `init_data_claims`: `aa.toml` and `cdh.toml`
 * converted TOML → JSON, `policy.rego` replaced by `agent_policy_claims` (the object after
 * `policy_data := {` in the agent policy), other entries kept as text.
 * @module
 */
import { MalformedInput, Unsupported, parseToml } from '../../core/index.js';
import { initDataDigest, parseInitData, type InitDataBody } from '../../protocol/index.js';

export interface ParsedInitData {
  digest: Uint8Array;
  claims: Record<string, unknown>;
}

/** The JSON object literal following `policy_data := ` in a Kata agent policy, or undefined. */
export function extractPolicyData(rego: string): unknown {
  const m = /policy_data\s*:=\s*\{/.exec(rego);
  if (!m) return undefined;
  const start = m.index + m[0].length - 1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < rego.length; i++) {
    const c = rego[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) {
      try {
        return JSON.parse(rego.slice(start, i + 1));
      } catch (cause) {
        throw new MalformedInput('init-data policy.rego: policy_data is not JSON', { where: 'init-data.policy.rego', cause });
      }
    }
  }
  throw new MalformedInput('init-data policy.rego: unterminated policy_data object', { where: 'init-data.policy.rego' });
}

/** Parse the `init-data` member of an attestation request. */
export function parseInitDataBody(body: InitDataBody): ParsedInitData {
  if (body.format !== 'toml') throw new Unsupported(`Unsupported initdata format ${JSON.stringify(body.format)} (toml)`);
  const doc = parseInitData(body.body);
  const claims: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(doc.data)) {
    if (name === 'aa.toml' || name === 'cdh.toml') claims[name] = parseToml(text, `init-data.${name}`);
    else if (name === 'policy.rego') {
      const policyData = extractPolicyData(text);
      if (policyData !== undefined) claims.agent_policy_claims = policyData;
    } else claims[name] = text;
  }
  return { digest: initDataDigest(body.body, doc.algorithm), claims };
}
