/**
 * Intel DCAP collateral from Intel PCS or a PCCS over HTTPS (API v4), cached in memory.
 * Endpoints: `tdx/certification/v4/tcb?fmspc=&update=`, `tdx/certification/v4/qe/identity?update=`,
 * `sgx/certification/v4/pckcrl?ca=&encoding=der`, and the Root CA CRL (PCS: the CRL distribution
 * point of the Intel root, PCCS: `sgx/certification/v4/rootcacrl`). Issuer chains come URL-encoded
 * in the `TCB-Info-Issuer-Chain` / `SGX-Enclave-Identity-Issuer-Chain` headers.
 * Spec: Intel SGX and TDX PCS API v4; PCCS API.
 * @module
 */
import { Unavailable, fromHex } from '../../core/index.js';
import type { TdxCollateral, TdxCollateralSource } from '../../verifier/index.js';
import { httpsGetOnce, type HttpsAnswer } from '../http/https-get.js';
import type { TcbUpdateType } from './tdx-offline.js';

export const INTEL_PCS_URL = 'https://api.trustedservices.intel.com/';
const INTEL_ROOT_CA_CRL_URL = 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der';
/** Upstream caches PCS responses for up to 168 hours. */
const DEFAULT_TTL_MS = 168 * 3600 * 1000;
const MAX_BODY = 1024 * 1024;

export interface PcsOptions {
  /** PCS or PCCS base URL (path ignored), default Intel PCS. */
  baseUrl?: string;
  update?: TcbUpdateType;
  /** Cache lifetime; never longer than the collateral's own `nextUpdate` is useful, so keep it modest. */
  ttlMs?: number;
  /** Extra trusted CA certificates (PEM) for a PCCS with a private CA, and for tests. */
  ca?: string | string[];
  /** Fetch the PCK and Root CA CRLs too (default true). */
  crls?: boolean;
  /** Request timeout (default 10 s). */
  timeoutMs?: number;
  /** Clock for the cache (tests). */
  now?: () => number;
}

type HttpResult = HttpsAnswer;

function get(url: URL, ca: string | string[] | undefined, timeoutMs: number): Promise<HttpResult> {
  return httpsGetOnce(url, { ...(ca !== undefined ? { ca } : {}), timeoutMs, maxBytes: MAX_BODY });
}

function header(r: HttpResult, name: string): string {
  const v = r.headers[name.toLowerCase()];
  return decodeURIComponent(Array.isArray(v) ? (v[0] ?? '') : (v ?? ''));
}

/** CRL bodies: DER, or hex/PEM text from some PCCS versions. */
function crlBytes(body: Buffer): Uint8Array {
  const text = body.toString('latin1');
  if (/^[0-9a-fA-F]+\s*$/.test(text)) return fromHex(text.trim(), 'crl');
  return new Uint8Array(body);
}

/**
 * A caching PCS/PCCS client. Missing collateral (404/410) resolves to undefined; any other failure
 * throws `Unavailable` (never cached), so the verifier fails closed.
 */
export function pcsTdxCollateral(options: PcsOptions = {}): TdxCollateralSource & { clear(): void } {
  const base = new URL(options.baseUrl ?? INTEL_PCS_URL);
  base.pathname = '/';
  base.search = '';
  const isIntelPcs = base.hostname === 'api.trustedservices.intel.com';
  const update = options.update ?? 'early';
  const ttl = options.ttlMs ?? DEFAULT_TTL_MS;
  const now = options.now ?? Date.now;
  const timeout = options.timeoutMs ?? 10_000;
  const cache = new Map<string, { until: number; value: Promise<TdxCollateral | undefined> }>();

  async function fetchOk(path: string, query: Record<string, string>): Promise<HttpResult | undefined> {
    const url = path.startsWith('https://') ? new URL(path) : new URL(path, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    let r: HttpResult;
    try {
      r = await get(url, options.ca, timeout);
    } catch (cause) {
      throw new Unavailable(`collateral service ${url.origin} unreachable: ${(cause as Error).message}`, { cause });
    }
    if (r.status === 404 || r.status === 410) return undefined;
    if (r.status !== 200) throw new Unavailable(`collateral service answered ${r.status} for ${url.pathname}`);
    return r;
  }

  async function load(fmspc: string, ca: 'platform' | 'processor'): Promise<TdxCollateral | undefined> {
    const tcb = await fetchOk('tdx/certification/v4/tcb', { fmspc: fmspc.toUpperCase(), update });
    if (!tcb) return undefined;
    const qe = await fetchOk('tdx/certification/v4/qe/identity', { update });
    if (!qe) return undefined;
    const out: TdxCollateral = {
      tcbInfo: tcb.body.toString('utf8'),
      tcbInfoIssuerChain: header(tcb, 'TCB-Info-Issuer-Chain') || header(tcb, 'SGX-TCB-Info-Issuer-Chain'),
      qeIdentity: qe.body.toString('utf8'),
      qeIdentityIssuerChain: header(qe, 'SGX-Enclave-Identity-Issuer-Chain'),
    };
    if (options.crls !== false) {
      const pck = await fetchOk('sgx/certification/v4/pckcrl', { ca, encoding: 'der' });
      if (pck) out.pckCrl = crlBytes(pck.body);
      const root = await fetchOk(isIntelPcs ? INTEL_ROOT_CA_CRL_URL : 'sgx/certification/v4/rootcacrl', {});
      if (root) out.rootCaCrl = crlBytes(root.body);
    }
    return out;
  }

  return {
    getCollateral(fmspc, ca) {
      const key = `${fmspc.toLowerCase()}/${ca}`;
      const hit = cache.get(key);
      if (hit && hit.until > now()) return hit.value;
      const value = load(fmspc, ca);
      cache.set(key, { until: now() + ttl, value });
      value.catch(() => cache.delete(key));
      return value;
    },
    clear() {
      cache.clear();
    },
  };
}
