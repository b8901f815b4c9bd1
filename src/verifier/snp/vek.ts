/**
 * What an AMD versioned endorsement key (VCEK or VLEK) certificate says about the platform: its
 * kind, the TCB it was issued for and (VCEK) the chip it belongs to. AMD KDS spec (57230 §3.1,
 * "VCEK certificate extensions"): OIDs under 1.3.6.1.4.1.3704.1.
 * @module
 */
import { MalformedInput } from '../../core/index.js';
import { TAG, decodeSmallInteger, expectTag, parseDer } from '../common/der.js';
import { parseCertificate, parsePemCertificates, type Certificate } from '../common/x509.js';
import { AMD_ROOTS_PEM } from './roots.js';
import type { SnpGeneration } from './report.js';

export const VEK_OID = {
  BOOTLOADER_SPL: '1.3.6.1.4.1.3704.1.3.1',
  TEE_SPL: '1.3.6.1.4.1.3704.1.3.2',
  SNP_SPL: '1.3.6.1.4.1.3704.1.3.3',
  UCODE_SPL: '1.3.6.1.4.1.3704.1.3.8',
  FMC_SPL: '1.3.6.1.4.1.3704.1.3.9',
  HW_ID: '1.3.6.1.4.1.3704.1.4',
} as const;

export interface VekInfo {
  kind: 'VCEK' | 'VLEK';
  tcb: { bootloader: number; tee: number; snp: number; microcode: number; fmc: number | undefined };
  /** VCEK hardware id (chip id; 64 bytes, 8 on Turin). Absent on VLEKs. */
  hwId: Uint8Array | undefined;
}

const infoCache = new WeakMap<Certificate, VekInfo>();

function intExtension(cert: Certificate, oid: string): number | undefined {
  const v = cert.extensions.get(oid);
  if (v === undefined) return undefined;
  const n = decodeSmallInteger(expectTag(parseDer(v), TAG.INTEGER, oid).content);
  if (n < 0 || n > 255) throw new MalformedInput(`VEK extension ${oid} is not a byte`, { where: oid });
  return n;
}

/**
 * The hwID extension comes in two encodings: the raw chip id (older KDS certificates) or a DER
 * OCTET STRING around it (current ones). Accept both.
 */
function hwIdExtension(cert: Certificate): Uint8Array | undefined {
  const v = cert.extensions.get(VEK_OID.HW_ID);
  if (v === undefined) return undefined;
  if (v.length === 64 || v.length === 8) return v;
  return expectTag(parseDer(v), TAG.OCTET_STRING, 'hwID').content;
}

/** Read kind, TCB and hwID of a VEK certificate. Throws `MalformedInput` when an SPL is missing. */
export function readVekInfo(cert: Certificate): VekInfo {
  const hit = infoCache.get(cert);
  if (hit) return hit;
  const cn = cert.subjectCN ?? '';
  const kind = cn.endsWith('VLEK') ? 'VLEK' : cn.endsWith('VCEK') ? 'VCEK' : undefined;
  if (!kind) throw new MalformedInput(`certificate ${JSON.stringify(cn)} is neither a VCEK nor a VLEK`, { where: 'vek.subject' });
  const need = (oid: string) => {
    const n = intExtension(cert, oid);
    if (n === undefined) throw new MalformedInput(`VEK has no extension ${oid}`, { where: oid });
    return n;
  };
  const info: VekInfo = {
    kind,
    tcb: {
      bootloader: need(VEK_OID.BOOTLOADER_SPL),
      tee: need(VEK_OID.TEE_SPL),
      snp: need(VEK_OID.SNP_SPL),
      microcode: need(VEK_OID.UCODE_SPL),
      fmc: intExtension(cert, VEK_OID.FMC_SPL),
    },
    hwId: hwIdExtension(cert),
  };
  infoCache.set(cert, info);
  return info;
}

export interface AmdRoots {
  ark: Certificate;
  ask: Certificate;
  asvk: Certificate;
}

const rootsCache = new Map<SnpGeneration, AmdRoots>();

/** The embedded ARK/ASK/ASVK of a generation, parsed once. */
export function amdRoots(gen: SnpGeneration): AmdRoots {
  let r = rootsCache.get(gen);
  if (!r) {
    const [ask, ark, asvk] = parsePemCertificates(AMD_ROOTS_PEM[gen]);
    r = { ask: ask!, ark: ark!, asvk: asvk! };
    rootsCache.set(gen, r);
  }
  return r;
}

/** Parse a VEK from DER or PEM bytes (cached by fingerprint). */
export function parseVek(bytes: Uint8Array): Certificate {
  if (bytes[0] === 0x2d) return parsePemCertificates(new TextDecoder().decode(bytes))[0]!;
  return parseCertificate(bytes);
}
