/**
 * UEFI device paths as text, in upstream's notation (`PciRoot`-less: `ACPI(PNP0A03,0)`, `Pci(0,3)`,
 * `HD(1,GPT,<GUID>,0x800,0x100000)`, `File(\EFI\BOOT\BOOTX64.EFI)`; anything else `Path(t,s,hex)`).
 * Spec: UEFI 2.10 §10.3 (Device Path Nodes).
 * @module
 */
import { toHex } from '../../../core/index.js';

class PathError extends Error {}

const u16 = (d: Uint8Array, o: number) => d[o]! | (d[o + 1]! << 8);
const u32 = (d: Uint8Array, o: number) => (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
const u64 = (d: Uint8Array, o: number) => BigInt(u32(d, o)) | (BigInt(u32(d, o + 4)) << 32n);
const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** Mixed-endian GUID text (EFI_GUID), uppercase. */
export function formatUefiGuid(g: Uint8Array): string {
  const d1 = u32(g, 0).toString(16).toUpperCase().padStart(8, '0');
  const d2 = u16(g, 4).toString(16).toUpperCase().padStart(4, '0');
  const d3 = u16(g, 6).toString(16).toUpperCase().padStart(4, '0');
  const d4 = Array.from(g.subarray(8, 16), hex2);
  return `${d1}-${d2}-${d3}-${d4.slice(0, 2).join('')}-${d4.slice(2).join('')}`;
}

/** UTF-16LE words to text, unpaired surrogates replaced by U+FFFD (lossy). */
export function utf16Lossy(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const w = u16(bytes, i);
    if (w >= 0xd800 && w <= 0xdbff && i + 3 < bytes.length) {
      const next = u16(bytes, i + 2);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += String.fromCharCode(w, next);
        i += 2;
        continue;
      }
    }
    out += w >= 0xd800 && w <= 0xdfff ? '\ufffd' : String.fromCharCode(w);
  }
  return out;
}

function ipv4(bits: number): string {
  return [bits >>> 24, (bits >>> 16) & 0xff, (bits >>> 8) & 0xff, bits & 0xff].join('.');
}

function need(d: Uint8Array, n: number): void {
  if (d.length < n) throw new PathError('short');
}

function acpi(sub: number, d: Uint8Array): string {
  if (sub !== 0x01) throw new PathError('subtype');
  need(d, 8);
  const hid = u32(d, 0);
  const vendor = hid & 0xffff;
  const ch = (v: number) => String.fromCharCode((v & 0x1f) + 0x40);
  const id = `${ch(vendor >> 10)}${ch(vendor >> 5)}${ch(vendor)}${(hid >>> 16).toString(16).toUpperCase().padStart(4, '0')}`;
  return `ACPI(${id},${u32(d, 4)})`;
}

function messaging(sub: number, d: Uint8Array): string {
  switch (sub) {
    case 0x15:
      need(d, 16);
      return `FibreEx(0x${toHex(d.subarray(0, 8))},0x${toHex(d.subarray(8, 16))})`;
    case 0x05:
      need(d, 2);
      return `USB(${d[0]},${d[1]})`;
    case 0x0b: {
      if (d.length !== 33) throw new PathError('mac');
      const mac = toHex(d.subarray(0, 31)).replace(/0+$/, '').toUpperCase();
      return `Mac(${mac},0x${hex2(d[32]!).toLowerCase()})`;
    }
    case 0x0c: {
      need(d, 23);
      const proto = u16(d, 12);
      const kind = d[14];
      const gw = u32(d, 15);
      const mask = u32(d, 19);
      const tail = gw !== 0 || mask !== 0 ? `,${gw},${mask}` : '';
      return `IPv4(${ipv4(u32(d, 4))},${proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : ''},${kind === 0 ? 'DHCP' : kind === 1 ? 'Static' : ''},${ipv4(u32(d, 0))}${tail})`;
    }
    default:
      throw new PathError('subtype');
  }
}

function media(sub: number, d: Uint8Array): string {
  switch (sub) {
    case 0x01: {
      need(d, 38);
      const part = u32(d, 0);
      const sig = d.subarray(20, 36);
      let text: string;
      if (d[36] === 0x01) text = `MBR,0x${u32(sig, 0).toString(16).padStart(8, '0')}`;
      else if (d[36] === 0x02) text = `GPT,${formatUefiGuid(sig)}`;
      else throw new PathError('format');
      const range = part !== 0 ? `,0x${u64(d, 4).toString(16)},0x${u64(d, 12).toString(16)}` : '';
      return `HD(${part},${text}${range})`;
    }
    case 0x03:
      need(d, 16);
      return `VenMedia(${formatUefiGuid(d.subarray(0, 16))},${toHex(d.subarray(16))})`;
    case 0x04:
      if (d.length === 0 || d.length % 2 !== 0) throw new PathError('file');
      return `File(${utf16Lossy(d.subarray(0, d.length - 2))})`;
    default:
      throw new PathError('subtype');
  }
}

const BBS_TYPES: Record<number, string> = { 1: 'FLOPPY', 2: 'HARD_DRIVE', 3: 'CDROM', 4: 'PCMCIA', 5: 'USB', 6: 'EMBEDDED_NETWORK', 0x80: 'DEV', 0xff: 'UNKNOWN' };

function bbs(sub: number, d: Uint8Array): string {
  if (sub !== 0x01) throw new PathError('subtype');
  need(d, 4);
  const type = u16(d, 0);
  const rest = d.subarray(4);
  const nul = rest.indexOf(0);
  let desc: string;
  try {
    desc = new TextDecoder('utf-8', { fatal: true }).decode(nul < 0 ? rest : rest.subarray(0, nul));
  } catch {
    throw new PathError('utf8');
  }
  return `BBS(${BBS_TYPES[type] ?? String(type)},${desc},${u16(d, 2)})`;
}

/** One device path node as text; nodes we do not decode print as `Path(type,subtype,hex)`. */
export function formatDevicePathNode(type: number, subType: number, data: Uint8Array): string {
  try {
    switch (type) {
      case 0x01:
        if (subType !== 0x01) break;
        need(data, 2);
        return `Pci(${data[0]},${data[1]})`;
      case 0x02:
        return acpi(subType, data);
      case 0x03:
        return messaging(subType, data);
      case 0x04:
        return media(subType, data);
      case 0x05:
        return bbs(subType, data);
    }
  } catch (e) {
    if (!(e instanceof PathError)) throw e;
  }
  return `Path(${type},${subType},${toHex(data)})`;
}
