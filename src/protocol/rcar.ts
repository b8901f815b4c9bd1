/**
 * RCAR (Request–Challenge–Attestation–Response) wire shapes of KBS protocol 0.4.0 and the
 * runtime-data binding both sides compute (reference/trustee.md §1.3–1.6,
 * reference/guest-components.md §2.1). Field names are upstream's, kebab-case at the top level.
 * @module
 */
import {
  MalformedInput,
  canonicalize,
  digest,
  expectObject,
  expectString,
  optionalString,
  type HashAlgorithm,
} from '../core/index.js';
import { parseTee, type Tee } from './tee.js';

/** The protocol version this implementation speaks. */
export const KBS_PROTOCOL_VERSION = '0.4.0';

/** `POST /kbs/v0/auth` body. */
export interface AuthRequest {
  version: string;
  tee: Tee;
  'extra-params': unknown;
}

/** `/auth` response body. `extra-params` is the JSON string `""` except for `se`. */
export interface Challenge {
  nonce: string;
  'extra-params': unknown;
}

/** A TEE public key as carried in `runtime-data.tee-pubkey`, reduced to its typed members. */
export type TeePubKey =
  | { kty: 'EC'; crv: string; alg: string; x: string; y: string }
  | { kty: 'RSA'; alg: string; n: string; e: string }
  | { kty: 'AKP'; alg: string; pub: string };

export interface RuntimeData {
  nonce: string;
  'tee-pubkey': TeePubKey;
}

export interface InitDataBody {
  format: string;
  body: string;
}

/** `tee-evidence`: primary evidence plus a JSON string of additional (device) evidence (`""` when none). */
export interface CompositeEvidence {
  primary_evidence: unknown;
  additional_evidence: string;
}

/** `POST /kbs/v0/attest` body. */
export interface AttestationRequest {
  'init-data'?: InitDataBody;
  'runtime-data': RuntimeData;
  'tee-evidence': CompositeEvidence;
}

/** `/attest` response body. */
export interface AttestResponse {
  token: string;
}

/** Flattened JWE JSON of a resource response (§1.6); members base64url without padding. */
export interface JweResponse {
  protected: string;
  encrypted_key: string;
  iv: string;
  ciphertext: string;
  tag: string;
  aad?: string;
}

/** Parse an `/auth` body. */
export function parseAuthRequest(input: unknown): AuthRequest {
  const o = expectObject(input, 'request');
  const version = expectString(o.version, 'version');
  const tee = parseTee(o.tee);
  return { version, tee, 'extra-params': o['extra-params'] ?? '' };
}

/** Parse a `tee-pubkey` JWK, keeping only the members upstream keeps (extra members are dropped). */
export function parseTeePubKey(input: unknown, where = 'runtime-data.tee-pubkey'): TeePubKey {
  const o = expectObject(input, where);
  const kty = expectString(o.kty, `${where}.kty`);
  const alg = optionalString(o.alg, `${where}.alg`) ?? '';
  switch (kty) {
    case 'EC':
      return {
        kty,
        crv: expectString(o.crv, `${where}.crv`),
        alg,
        x: expectString(o.x, `${where}.x`),
        y: expectString(o.y, `${where}.y`),
      };
    case 'RSA':
      return { kty, alg, n: expectString(o.n, `${where}.n`), e: expectString(o.e, `${where}.e`) };
    case 'AKP':
      return { kty, alg, pub: expectString(o.pub, `${where}.pub`) };
    default:
      throw new MalformedInput(`${where}.kty: unsupported key type ${JSON.stringify(kty)}`, { where: `${where}.kty` });
  }
}

/** Parse an `/attest` body. */
export function parseAttestationRequest(input: unknown): AttestationRequest {
  const o = expectObject(input, 'attestation');
  const rd = expectObject(o['runtime-data'], 'runtime-data');
  const runtime: RuntimeData = {
    nonce: expectString(rd.nonce, 'runtime-data.nonce'),
    'tee-pubkey': parseTeePubKey(rd['tee-pubkey']),
  };
  const ev = expectObject(o['tee-evidence'], 'tee-evidence');
  if (!('primary_evidence' in ev)) throw new MalformedInput('tee-evidence.primary_evidence: missing', { where: 'tee-evidence.primary_evidence' });
  const additional = ev.additional_evidence ?? '';
  if (typeof additional !== 'string') {
    throw new MalformedInput('tee-evidence.additional_evidence: expected a JSON string', { where: 'tee-evidence.additional_evidence' });
  }
  const out: AttestationRequest = {
    'runtime-data': runtime,
    'tee-evidence': { primary_evidence: ev.primary_evidence, additional_evidence: additional },
  };
  if (o['init-data'] !== undefined && o['init-data'] !== null) {
    const id = expectObject(o['init-data'], 'init-data');
    out['init-data'] = { format: expectString(id.format, 'init-data.format'), body: expectString(id.body, 'init-data.body') };
  }
  return out;
}

/** Parse the `additional_evidence` string into `{tee: evidence}`; `""` means none. */
export function parseAdditionalEvidence(text: string): Array<{ tee: Tee; evidence: unknown }> {
  if (text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new MalformedInput('tee-evidence.additional_evidence: invalid JSON', { where: 'tee-evidence.additional_evidence', cause });
  }
  const map = expectObject(parsed, 'tee-evidence.additional_evidence');
  return Object.entries(map).map(([k, evidence]) => ({ tee: parseTee(k, 'tee-evidence.additional_evidence'), evidence }));
}

/** Runtime-data hash algorithm: SHA-512 for IBM SE, SHA-384 for every other TEE (§1.4 step 4). */
export function runtimeDataHashAlgorithm(tee: Tee): HashAlgorithm {
  return tee === 'se' ? 'sha512' : 'sha384';
}

/** The JSON object hashed for the primary (CPU) attester. */
export function primaryRuntimeData(nonce: string, teePubKey: TeePubKey, additionalEvidence: string): Record<string, unknown> {
  return { 'additional-evidence': additionalEvidence, nonce, 'tee-pubkey': teePubKey };
}

/** The JSON object hashed for each additional device attester (no `additional-evidence`). */
export function deviceRuntimeData(nonce: string, teePubKey: TeePubKey): Record<string, unknown> {
  return { nonce, 'tee-pubkey': teePubKey };
}

/** H(JCS(runtimeData)) — the value the attester puts in its report-data field. */
export function runtimeDataDigest(runtimeData: Record<string, unknown>, alg: HashAlgorithm): Uint8Array {
  return digest(alg, canonicalize(runtimeData));
}
