/**
 * Intel DCAP collateral documents: TDX TCB info (v3) and TD QE identity (v2), parsed from the exact
 * text PCS/PCCS served, with the signed member kept verbatim for the signature check.
 * Spec: Intel PCS API v4, "TDX TCB Info V3" and "Enclave Identity V2" data models.
 * @module
 */
import { MalformedInput, expectArray, expectNumber, expectObject, expectString, fromHex, parseJsonText } from '../../core/index.js';

export type TcbStatus =
  | 'UpToDate'
  | 'SWHardeningNeeded'
  | 'ConfigurationNeeded'
  | 'ConfigurationAndSWHardeningNeeded'
  | 'OutOfDate'
  | 'OutOfDateConfigurationNeeded'
  | 'Revoked';

const STATUSES = new Set<string>([
  'UpToDate',
  'SWHardeningNeeded',
  'ConfigurationNeeded',
  'ConfigurationAndSWHardeningNeeded',
  'OutOfDate',
  'OutOfDateConfigurationNeeded',
  'Revoked',
]);

/** A signed collateral document: the exact signed text and the raw r‖s signature. */
export interface Signed {
  signedText: string;
  signature: Uint8Array;
}

export interface PlatformTcbLevel {
  sgxComponents: number[];
  pceSvn: number;
  tdxComponents: number[];
  tcbDate: Date;
  tcbStatus: TcbStatus;
  advisoryIds: string[];
}

export interface IsvTcbLevel {
  isvSvn: number;
  tcbDate: Date;
  tcbStatus: TcbStatus;
  advisoryIds: string[];
}

export interface TdxModuleIdentity {
  id: string;
  mrSigner: Uint8Array;
  attributes: Uint8Array;
  attributesMask: Uint8Array;
  tcbLevels: IsvTcbLevel[];
}

export interface TcbInfo extends Signed {
  id: string;
  version: number;
  issueDate: Date;
  nextUpdate: Date;
  fmspc: Uint8Array;
  pceId: Uint8Array;
  tcbEvaluationDataNumber: number;
  tdxModule?: { mrSigner: Uint8Array; attributes: Uint8Array; attributesMask: Uint8Array };
  tdxModuleIdentities: TdxModuleIdentity[];
  tcbLevels: PlatformTcbLevel[];
}

export interface QeIdentity extends Signed {
  id: string;
  version: number;
  issueDate: Date;
  nextUpdate: Date;
  tcbEvaluationDataNumber: number;
  miscSelect: number;
  miscSelectMask: number;
  attributes: Uint8Array;
  attributesMask: Uint8Array;
  mrSigner: Uint8Array;
  isvProdId: number;
  tcbLevels: IsvTcbLevel[];
}

/**
 * The raw text of a top-level member's value in a JSON object text (signatures cover these exact
 * bytes, so the document must not be re-serialised). The text must already be valid JSON.
 */
export function rawMember(text: string, key: string): string | undefined {
  let depth = 0;
  let i = 0;
  const n = text.length;
  const skipString = (p: number): number => {
    for (p++; p < n; p++) {
      if (text[p] === '\\') p++;
      else if (text[p] === '"') return p + 1;
    }
    return n;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      const end = skipString(i);
      if (depth === 1) {
        let j = end;
        while (/\s/.test(text[j] ?? '')) j++;
        if (text[j] === ':' && JSON.parse(text.slice(i, end)) === key) {
          j++;
          while (/\s/.test(text[j] ?? '')) j++;
          const start = j;
          let d = 0;
          for (; j < n; j++) {
            const ch = text[j]!;
            if (ch === '"') {
              j = skipString(j) - 1;
              if (d === 0) return text.slice(start, j + 1);
            } else if (ch === '{' || ch === '[') d++;
            else if (ch === '}' || ch === ']') {
              if (d === 0) return text.slice(start, j).trimEnd();
              d--;
              if (d === 0) return text.slice(start, j + 1);
            } else if (ch === ',' && d === 0) return text.slice(start, j).trimEnd();
          }
          return undefined;
        }
      }
      i = end;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
  }
  return undefined;
}

function date(v: unknown, where: string): Date {
  const s = expectString(v, where);
  const d = new Date(s);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s) || Number.isNaN(d.getTime())) throw new MalformedInput(`${where}: not an RFC 3339 date`, { where });
  return d;
}

function hexField(v: unknown, where: string, size: number): Uint8Array {
  const b = fromHex(expectString(v, where), where);
  if (b.length !== size) throw new MalformedInput(`${where}: expected ${size} bytes`, { where });
  return b;
}

function status(v: unknown, where: string): TcbStatus {
  const s = expectString(v, where);
  if (!STATUSES.has(s)) throw new MalformedInput(`${where}: unknown TCB status ${JSON.stringify(s)}`, { where });
  return s as TcbStatus;
}

function advisories(v: unknown, where: string): string[] {
  return v === undefined ? [] : expectArray(v, where).map((x, i) => expectString(x, `${where}[${i}]`));
}

function svnList(v: unknown, where: string): number[] {
  const arr = expectArray(v, where);
  if (arr.length !== 16) throw new MalformedInput(`${where}: expected 16 components`, { where });
  return arr.map((c, i) => expectNumber(expectObject(c, `${where}[${i}]`).svn, `${where}[${i}].svn`));
}

function isvLevels(v: unknown, where: string): IsvTcbLevel[] {
  return expectArray(v, where).map((l, i) => {
    const o = expectObject(l, `${where}[${i}]`);
    return {
      isvSvn: expectNumber(expectObject(o.tcb, `${where}[${i}].tcb`).isvsvn, `${where}[${i}].tcb.isvsvn`),
      tcbDate: date(o.tcbDate, `${where}[${i}].tcbDate`),
      tcbStatus: status(o.tcbStatus, `${where}[${i}].tcbStatus`),
      advisoryIds: advisories(o.advisoryIDs, `${where}[${i}].advisoryIDs`),
    };
  });
}

function signedDoc(text: string, member: string, what: string): { body: Record<string, unknown>; signed: Signed } {
  const outer = expectObject(parseJsonText(text, what), what);
  const body = expectObject(outer[member], `${what}.${member}`);
  const signature = hexField(outer.signature, `${what}.signature`, 64);
  const signedText = rawMember(text, member);
  if (!signedText) throw new MalformedInput(`${what}: cannot locate the signed ${member} member`, { where: what });
  return { body, signed: { signedText, signature } };
}

/** Parse `{"tcbInfo":{...},"signature":"<hex>"}` (TDX TCB info v3). @throws MalformedInput */
export function parseTcbInfo(text: string): TcbInfo {
  const { body: t, signed } = signedDoc(text, 'tcbInfo', 'tcbInfo');
  const w = 'tcbInfo.tcbInfo';
  const info: TcbInfo = {
    ...signed,
    id: expectString(t.id, `${w}.id`),
    version: expectNumber(t.version, `${w}.version`),
    issueDate: date(t.issueDate, `${w}.issueDate`),
    nextUpdate: date(t.nextUpdate, `${w}.nextUpdate`),
    fmspc: hexField(t.fmspc, `${w}.fmspc`, 6),
    pceId: hexField(t.pceId, `${w}.pceId`, 2),
    tcbEvaluationDataNumber: expectNumber(t.tcbEvaluationDataNumber, `${w}.tcbEvaluationDataNumber`),
    tdxModuleIdentities: [],
    tcbLevels: expectArray(t.tcbLevels, `${w}.tcbLevels`).map((l, i) => {
      const o = expectObject(l, `${w}.tcbLevels[${i}]`);
      const tcb = expectObject(o.tcb, `${w}.tcbLevels[${i}].tcb`);
      return {
        sgxComponents: svnList(tcb.sgxtcbcomponents, `${w}.tcbLevels[${i}].tcb.sgxtcbcomponents`),
        pceSvn: expectNumber(tcb.pcesvn, `${w}.tcbLevels[${i}].tcb.pcesvn`),
        tdxComponents: svnList(tcb.tdxtcbcomponents, `${w}.tcbLevels[${i}].tcb.tdxtcbcomponents`),
        tcbDate: date(o.tcbDate, `${w}.tcbLevels[${i}].tcbDate`),
        tcbStatus: status(o.tcbStatus, `${w}.tcbLevels[${i}].tcbStatus`),
        advisoryIds: advisories(o.advisoryIDs, `${w}.tcbLevels[${i}].advisoryIDs`),
      };
    }),
  };
  if (t.tdxModule !== undefined) {
    const m = expectObject(t.tdxModule, `${w}.tdxModule`);
    info.tdxModule = {
      mrSigner: hexField(m.mrsigner, `${w}.tdxModule.mrsigner`, 48),
      attributes: hexField(m.attributes, `${w}.tdxModule.attributes`, 8),
      attributesMask: hexField(m.attributesMask, `${w}.tdxModule.attributesMask`, 8),
    };
  }
  if (t.tdxModuleIdentities !== undefined) {
    info.tdxModuleIdentities = expectArray(t.tdxModuleIdentities, `${w}.tdxModuleIdentities`).map((x, i) => {
      const m = expectObject(x, `${w}.tdxModuleIdentities[${i}]`);
      const at = `${w}.tdxModuleIdentities[${i}]`;
      return {
        id: expectString(m.id, `${at}.id`),
        mrSigner: hexField(m.mrsigner, `${at}.mrsigner`, 48),
        attributes: hexField(m.attributes, `${at}.attributes`, 8),
        attributesMask: hexField(m.attributesMask, `${at}.attributesMask`, 8),
        tcbLevels: isvLevels(m.tcbLevels, `${at}.tcbLevels`),
      };
    });
  }
  return info;
}

/** Parse `{"enclaveIdentity":{...},"signature":"<hex>"}` (QE identity v2). @throws MalformedInput */
export function parseQeIdentity(text: string): QeIdentity {
  const { body: e, signed } = signedDoc(text, 'enclaveIdentity', 'qeIdentity');
  const w = 'qeIdentity.enclaveIdentity';
  const u32 = (v: unknown, where: string) => new DataView(hexField(v, where, 4).buffer).getUint32(0, false);
  return {
    ...signed,
    id: expectString(e.id, `${w}.id`),
    version: expectNumber(e.version, `${w}.version`),
    issueDate: date(e.issueDate, `${w}.issueDate`),
    nextUpdate: date(e.nextUpdate, `${w}.nextUpdate`),
    tcbEvaluationDataNumber: expectNumber(e.tcbEvaluationDataNumber, `${w}.tcbEvaluationDataNumber`),
    miscSelect: u32(e.miscselect, `${w}.miscselect`),
    miscSelectMask: u32(e.miscselectMask, `${w}.miscselectMask`),
    attributes: hexField(e.attributes, `${w}.attributes`, 16),
    attributesMask: hexField(e.attributesMask, `${w}.attributesMask`, 16),
    mrSigner: hexField(e.mrsigner, `${w}.mrsigner`, 32),
    isvProdId: expectNumber(e.isvprodid, `${w}.isvprodid`),
    tcbLevels: isvLevels(e.tcbLevels, `${w}.tcbLevels`),
  };
}
