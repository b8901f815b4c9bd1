/**
 * EAR (Entity Attestation Result) vocabulary used in Trustee's attestation token
 * (reference/trustee.md §1.11, §3.4): trust-vector claim names, status tiers, claim paths.
 * @module
 */

export const EAR_PROFILE = 'tag:github.com,2024:confidential-containers/Trustee';
export const EAR_ISSUER_DEFAULT = 'CoCo-Attestation-Service';

export const TRUST_CLAIMS = [
  'instance-identity',
  'configuration',
  'executables',
  'file-system',
  'hardware',
  'runtime-opaque',
  'storage-opaque',
  'sourced-data',
] as const;

export type TrustClaim = (typeof TRUST_CLAIMS)[number];
export type TrustVector = Partial<Record<TrustClaim, number>>;
export type EarStatus = 'none' | 'affirming' | 'warning' | 'contraindicated';

const TIER_ORDER: readonly EarStatus[] = ['none', 'affirming', 'warning', 'contraindicated'];

/** Tier of one trust-claim value: −1..1 none; −32..31 affirming; −96..95 warning; else contraindicated. */
export function tierOf(value: number): EarStatus {
  if (value >= -1 && value <= 1) return 'none';
  if (value >= -32 && value <= 31) return 'affirming';
  if (value >= -96 && value <= 95) return 'warning';
  return 'contraindicated';
}

/** Appraisal status = the worst tier over all claims. */
export function statusOf(vector: TrustVector): EarStatus {
  let worst = 0;
  for (const v of Object.values(vector)) {
    if (typeof v === 'number') worst = Math.max(worst, TIER_ORDER.indexOf(tierOf(v)));
  }
  return TIER_ORDER[worst]!;
}

/** JSON pointer (RFC 6901) paths where KBS looks for the TEE public key in token claims, in order. */
export const TEE_PUBKEY_PATHS = [
  '/tdx/attester_runtime_data/tee-pubkey',
  '/tdx/attester_user_data/tee-pubkey',
  '/customized_claims/runtime_data/tee-pubkey',
  '/submods/cpu0/ear.veraison.annotated-evidence/runtime_data_claims/tee-pubkey',
  '/tee-pubkey',
] as const;

/** Decoded reference tokens of the pointers resolved so far (a few fixed paths, in practice). */
const pointerTokens = new Map<string, string[]>();

function tokensOf(pointer: string): string[] {
  let tokens = pointerTokens.get(pointer);
  if (!tokens) {
    tokens = pointer.slice(1).split('/').map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (pointerTokens.size < 256) pointerTokens.set(pointer, tokens);
  }
  return tokens;
}

const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** Resolve an RFC 6901 JSON pointer; undefined when any step is missing. */
export function resolvePointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  if (!pointer.startsWith('/')) return undefined;
  let cur: unknown = doc;
  for (const key of tokensOf(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!ARRAY_INDEX.test(key)) return undefined;
      cur = cur[Number(key)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
      cur = (cur as Record<string, unknown>)[key];
    }
  }
  return cur;
}
