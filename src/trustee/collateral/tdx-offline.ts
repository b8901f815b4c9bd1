/**
 * Offline Intel DCAP collateral for the TDX verifier, loaded once from a directory. Files are
 * recognised by content, so a directory of PCS downloads works as is:
 * - `*.json` with `{"tcbInfo":{...},"signature":...}` (TDX TCB info; indexed by its FMSPC),
 * - `*.json` with `{"enclaveIdentity":{"id":"TD_QE",...},"signature":...}` (TD QE identity),
 * - `*.json` written by Intel's PCS client tool (`{"collaterals":{"tcbinfos":[...],...}}`),
 * - `*.pem` holding the TCB signing chain (first certificate `CN=Intel SGX TCB Signing`),
 * - CRLs (`*.der`, `*.crl`, `*.pem`) named `*root*`, `*platform*` or `*processor*`.
 * Without a TCB signing chain file the verifier uses its embedded Intel certificate (still checked
 * against the Intel root).
 * @module
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, MalformedInput, fromHex, isCocoError } from '../../core/index.js';
import type { TdxCollateral, TdxCollateralSource } from '../../verifier/index.js';

/** Which TCB info an Intel PCS client tool file offers first (`early` falls back to `standard`). */
export type TcbUpdateType = 'early' | 'standard';

export interface OfflineCollateral {
  /** TCB info texts by lowercase FMSPC hex. */
  tcbInfo: Map<string, string>;
  qeIdentity?: string;
  tcbSigningChain?: string;
  platformCrl?: Uint8Array;
  processorCrl?: Uint8Array;
  rootCaCrl?: Uint8Array;
}

function objectOf(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function addPcsToolFile(out: OfflineCollateral, c: Record<string, unknown>, update: TcbUpdateType, file: string): void {
  const where = `${file}: collaterals`;
  const pick = (a: unknown, b: unknown) => (update === 'early' ? (a ?? b) : b);
  for (const e of Array.isArray(c.tcbinfos) ? c.tcbinfos : []) {
    const entry = e as Record<string, unknown>;
    const doc = pick(entry.tdx_tcbinfo_early, entry.tdx_tcbinfo);
    if (typeof entry.fmspc === 'string' && doc) out.tcbInfo.set(entry.fmspc.toLowerCase(), JSON.stringify(doc));
  }
  const qe = pick(c.tdqeidentity_early, c.tdqeidentity);
  if (qe) out.qeIdentity = JSON.stringify(qe);
  const certs = (c.certificates ?? {}) as Record<string, unknown>;
  if (typeof certs['TCB-Info-Issuer-Chain'] === 'string') out.tcbSigningChain = decodeURIComponent(certs['TCB-Info-Issuer-Chain']);
  const crls = (c.pckcacrl ?? {}) as Record<string, unknown>;
  if (typeof crls.platformCrl === 'string') out.platformCrl = fromHex(crls.platformCrl, `${where}.pckcacrl.platformCrl`);
  if (typeof crls.processorCrl === 'string') out.processorCrl = fromHex(crls.processorCrl, `${where}.pckcacrl.processorCrl`);
  if (typeof c.rootcacrl === 'string') out.rootCaCrl = fromHex(c.rootcacrl, `${where}.rootcacrl`);
}

function addCrl(out: OfflineCollateral, name: string, bytes: Uint8Array): void {
  const n = name.toLowerCase();
  if (n.includes('root')) out.rootCaCrl = bytes;
  else if (n.includes('processor')) out.processorCrl = bytes;
  else if (n.includes('platform') || n.includes('pck')) out.platformCrl = bytes;
}

/**
 * Read every collateral file in `dir` (not recursive).
 * @throws ConfigError when the directory cannot be read or a collateral file is malformed
 */
export async function loadTdxCollateralDir(dir: string, update: TcbUpdateType = 'early'): Promise<OfflineCollateral> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (cause) {
    throw new ConfigError(`TDX collateral directory ${dir} cannot be read`, { cause, key: 'collateral' });
  }
  return loadFiles(dir, names, update);
}

/** Load one collateral file (e.g. upstream's `collateral_service = "file:///…/collateral.json"`). */
export async function loadTdxCollateralFile(path: string, update: TcbUpdateType = 'early'): Promise<OfflineCollateral> {
  const slash = path.lastIndexOf('/');
  return loadFiles(slash < 0 ? '.' : path.slice(0, slash) || '/', [path.slice(slash + 1)], update);
}

async function loadFiles(dir: string, names: string[], update: TcbUpdateType): Promise<OfflineCollateral> {
  const out: OfflineCollateral = { tcbInfo: new Map() };
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (name.endsWith('.json')) {
        const text = await readFile(path, 'utf8');
        const o = objectOf(text);
        if (!o) continue;
        const tcb = o.tcbInfo as Record<string, unknown> | undefined;
        const qe = o.enclaveIdentity as Record<string, unknown> | undefined;
        if (tcb && typeof tcb.fmspc === 'string' && tcb.id === 'TDX') out.tcbInfo.set(tcb.fmspc.toLowerCase(), text);
        else if (qe && qe.id === 'TD_QE') out.qeIdentity = text;
        else if (o.collaterals && typeof o.collaterals === 'object') addPcsToolFile(out, o.collaterals as Record<string, unknown>, update, name);
      } else if (name.endsWith('.pem')) {
        const text = await readFile(path, 'utf8');
        if (text.includes('BEGIN X509 CRL')) addCrl(out, name, new TextEncoder().encode(text));
        else if (text.includes('BEGIN CERTIFICATE') && isTcbSigningChain(text)) out.tcbSigningChain = text;
      } else if (name.endsWith('.der') || name.endsWith('.crl')) {
        addCrl(out, name, new Uint8Array(await readFile(path)));
      }
    } catch (cause) {
      if (isCocoError(cause) && !(cause instanceof MalformedInput)) throw cause;
      throw new ConfigError(`TDX collateral file ${path} is malformed`, { cause, key: 'collateral' });
    }
  }
  return out;
}

function isTcbSigningChain(pem: string): boolean {
  const first = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!first) return false;
  // "Intel SGX TCB Signing" appears in the subject; a cheap test on the decoded DER avoids parsing here.
  return Buffer.from(first[1]!.replace(/\s+/g, ''), 'base64').includes('Intel SGX TCB Signing');
}

/** A `TdxCollateralSource` over loaded offline collateral. */
export function offlineTdxCollateral(c: OfflineCollateral): TdxCollateralSource {
  return {
    async getCollateral(fmspc: string, ca: 'platform' | 'processor'): Promise<TdxCollateral | undefined> {
      const tcbInfo = c.tcbInfo.get(fmspc.toLowerCase());
      if (!tcbInfo || !c.qeIdentity) return undefined;
      const out: TdxCollateral = {
        tcbInfo,
        tcbInfoIssuerChain: c.tcbSigningChain ?? '',
        qeIdentity: c.qeIdentity,
        qeIdentityIssuerChain: c.tcbSigningChain ?? '',
      };
      const pckCrl = ca === 'platform' ? c.platformCrl : c.processorCrl;
      if (pckCrl) out.pckCrl = pckCrl;
      if (c.rootCaCrl) out.rootCaCrl = c.rootCaCrl;
      return out;
    },
  };
}

/**
 * Load `DIR/tdx/` when it exists (beside `DIR/vcek/` for SNP), else `DIR` itself, and wrap it as a
 * source: what `coco evidence verify --tee tdx --collateral DIR` uses.
 */
export async function tdxCollateralFromDir(dir: string, update: TcbUpdateType = 'early'): Promise<TdxCollateralSource> {
  const sub = join(dir, 'tdx');
  const useSub = await stat(sub).then((s) => s.isDirectory(), () => false);
  return offlineTdxCollateral(await loadTdxCollateralDir(useSub ? sub : dir, update));
}
