/**
 * TCG vocabulary of an event log: event type names and digest algorithms.
 * Spec: TCG PC Client Platform Firmware Profile 1.06 §10.4.1 (event types), TCG Algorithm Registry.
 * @module
 */
import { createHash } from 'node:crypto';

/** Event type number → upstream `type_name` (SCREAMING_SNAKE_CASE of the TCG name). */
export const EVENT_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0, 'EV_PREBOOT_CERT'],
  [0x1, 'EV_POST_CODE'],
  [0x2, 'EV_UNUSED'],
  [0x3, 'EV_NO_ACTION'],
  [0x4, 'EV_SEPARATOR'],
  [0x5, 'EV_ACTION'],
  [0x6, 'EV_EVENT_TAG'],
  [0x7, 'EV_S_CRTM_CONTENTS'],
  [0x8, 'EV_S_CRTM_VERSION'],
  [0x9, 'EV_CPU_MICROCODE'],
  [0xa, 'EV_PLATFORM_CONFIG_FLAGS'],
  [0xb, 'EV_TABLE_OF_DEVICES'],
  [0xc, 'EV_COMPACT_HASH'],
  [0xd, 'EV_IPL'],
  [0xe, 'EV_IPL_PARTITION_DATA'],
  [0xf, 'EV_NONHOST_CODE'],
  [0x10, 'EV_NONHOST_CONFIG'],
  [0x11, 'EV_NONHOST_INFO'],
  [0x12, 'EV_OMIT_BOOT_DEVICE_EVENTS'],
  [0x80000000, 'EV_EFI_EVENT_BASE'],
  [0x80000001, 'EV_EFI_VARIABLE_DRIVER_CONFIG'],
  [0x80000002, 'EV_EFI_VARIABLE_BOOT'],
  [0x80000003, 'EV_EFI_BOOT_SERVICES_APPLICATION'],
  [0x80000004, 'EV_EFI_BOOT_SERVICES_DRIVER'],
  [0x80000005, 'EV_EFI_RUNTIME_SERVICES_DRIVER'],
  [0x80000006, 'EV_EFI_GPT_EVENT'],
  [0x80000007, 'EV_EFI_ACTION'],
  [0x80000008, 'EV_EFI_PLATFORM_FIRMWARE_BLOB'],
  [0x80000009, 'EV_EFI_HANDOFF_TABLES'],
  [0x8000000a, 'EV_EFI_PLATFORM_FIRMWARE_BLOB2'],
  [0x8000000b, 'EV_EFI_HANDOFF_TABLES2'],
  [0x8000000c, 'EV_EFI_VARIABLE_BOOT2'],
  [0x80000010, 'EV_EFI_HCRTM_EVENT'],
  [0x800000e0, 'EV_EFI_VARIABLE_AUTHORITY'],
  [0x800000e1, 'EV_EFI_SPDM_FIRMWARE_BLOB'],
  [0x800000e2, 'EV_EFI_SPDM_FIRMWARE_CONFIG'],
]);

export const EV_NO_ACTION = 0x3;
export const EV_EVENT_TAG = 0x6;

/** Upstream algorithm names as serialised in claims. */
export type TcgAlgorithmName = 'RSA' | 'TDES' | 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SM3';

/** TPM_ALG_ID → name (TCG Algorithm Registry). */
export const TCG_ALGORITHMS: ReadonlyMap<number, TcgAlgorithmName> = new Map([
  [0x1, 'RSA'],
  [0x3, 'TDES'],
  [0x4, 'SHA-1'],
  [0xb, 'SHA-256'],
  [0xc, 'SHA-384'],
  [0xd, 'SHA-512'],
  [0x12, 'SM3'],
]);

export const TCG_ALG_IDS: Readonly<Record<'SHA-256' | 'SHA-384' | 'SHA-512' | 'SM3', number>> = {
  'SHA-256': 0xb,
  'SHA-384': 0xc,
  'SHA-512': 0xd,
  SM3: 0x12,
};

const NODE_HASH: Partial<Record<TcgAlgorithmName, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512', SM3: 'sm3' };
const DIGEST_SIZE: Partial<Record<TcgAlgorithmName, number>> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64, SM3: 32 };

/** Digest size in bytes, or undefined for algorithms that are not hashes we replay. */
export function tcgDigestSize(alg: TcgAlgorithmName): number | undefined {
  return DIGEST_SIZE[alg];
}

/** Hash with a TCG algorithm; undefined when we do not compute that algorithm (SHA-1, RSA, TDES). */
export function tcgHash(alg: TcgAlgorithmName, ...parts: Uint8Array[]): Uint8Array | undefined {
  const name = NODE_HASH[alg];
  if (!name) return undefined;
  const h = createHash(name);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
