/**
 * The `kbs` key provider of sealed secrets: a vault secret's `name` is a KBS resource URI whose
 * bytes are the secret; an envelope's `key_id` is a KBS resource URI holding the 32-byte KEK that
 * wraps the envelope's data key (RFC 3394, protocol/sealed-envelope.ts).
 * @module
 */
import { MalformedInput, fromBase64 } from '../../core/index.js';
import { openEnvelope, parseResourceUri, unwrapDataKey, type EnvelopeSecret, type VaultSecret } from '../../protocol/index.js';

/** Anything that fetches KBS resources (the KBS client, or the CDH's cache in front of it). */
export interface ResourceSource {
  getResource(uri: string): Promise<Uint8Array>;
}

function requireUri(v: string, field: string): string {
  try {
    parseResourceUri(v);
  } catch (cause) {
    throw new MalformedInput(`secret.${field} must be a kbs:/// resource URI for provider kbs`, { where: `secret.${field}`, cause });
  }
  return v;
}

/** The vault secret's value: the KBS resource it names. */
export function getVaultSecret(kbs: ResourceSource, s: VaultSecret): Promise<Uint8Array> {
  return kbs.getResource(requireUri(s.name, 'name'));
}

/** Open a `kbs` envelope: fetch the KEK, unwrap the DEK, decrypt the data. */
export async function openKbsEnvelope(kbs: ResourceSource, s: EnvelopeSecret): Promise<Uint8Array> {
  const kek = await kbs.getResource(requireUri(s.key_id, 'key_id'));
  const dek = unwrapDataKey(kek, fromBase64(s.encrypted_key, 'secret.encrypted_key'));
  return openEnvelope(s, dek);
}
