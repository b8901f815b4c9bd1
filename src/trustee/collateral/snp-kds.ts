/**
 * AMD Key Distribution Service client for VCEKs (AMD pub. 57230 §4.1:
 * `GET /vcek/v1/{Milan|Genoa|Turin}/{hwid}?[fmcSPL=..&]blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..`,
 * DER body). VCEKs never change for a (chip, TCB), so responses are cached for the process
 * lifetime (bounded); KDS rate-limits with 429, answered with Retry-After or exponential backoff.
 * @module
 */
import { Unavailable, isAllZero } from '../../core/index.js';
import type { SnpVekQuery, SnpVekSource } from '../../verifier/index.js';
import { httpsGetOnce } from '../http/https-get.js';
import { snpHwId } from './snp-offline.js';

export const AMD_KDS_URL = 'https://kdsintf.amd.com';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

/** One GET; the default uses node:https (with an optional extra CA for tests and proxies). */
export type HttpGet = (url: string) => Promise<HttpResponse>;

export interface SnpKdsOptions {
  baseUrl?: string;
  /** Replace the HTTP client (tests, proxies). */
  get?: HttpGet;
  /** Extra trusted CA (PEM) for the default client. */
  ca?: string;
  /** Attempts after a 429/503 before giving up (default 4). */
  maxRetries?: number;
  /** First backoff delay in ms, doubled per retry (default 1000); Retry-After wins when present. */
  backoffMs?: number;
  /** Longest single wait in ms (default 30000). */
  maxBackoffMs?: number;
  /** Cached VCEKs (default 1024). */
  cacheSize?: number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

/** Default GET over node:https with a timeout and a 64 KiB body limit (a VCEK is ~1.3 KiB). */
export function httpsGet(ca?: string, timeoutMs = 10_000): HttpGet {
  return async (url) => {
    const res = await httpsGetOnce(url, { ...(ca !== undefined ? { ca } : {}), timeoutMs, maxBytes: 65536, accept: 'application/octet-stream' });
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    return { status: res.status, headers, body: new Uint8Array(res.body) };
  };
}

const two = (n: number) => String(n).padStart(2, '0');

/** The KDS URL of the VCEK for a chip and TCB. */
export function kdsVcekUrl(baseUrl: string, q: SnpVekQuery): string {
  const t = q.tcb;
  const fmc = q.generation === 'Turin' && t.fmc !== undefined ? `fmcSPL=${two(t.fmc)}&` : '';
  return `${baseUrl}/vcek/v1/${q.generation}/${snpHwId(q)}?${fmc}blSPL=${two(t.bootloader)}&teeSPL=${two(t.tee)}&snpSPL=${two(t.snp)}&ucodeSPL=${two(t.microcode)}`;
}

function retryAfterMs(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

/** A `SnpVekSource` backed by AMD KDS. A masked (all-zero) chip id cannot be looked up: undefined. */
export function snpKdsVekSource(opts: SnpKdsOptions = {}): SnpVekSource & { readonly cacheSize: number } {
  const base = (opts.baseUrl ?? AMD_KDS_URL).replace(/\/+$/, '');
  const get = opts.get ?? httpsGet(opts.ca, opts.timeoutMs);
  const maxRetries = opts.maxRetries ?? 4;
  const backoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const limit = opts.cacheSize ?? 1024;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const cache = new Map<string, Uint8Array>();
  const inflight = new Map<string, Promise<Uint8Array | undefined>>();

  async function fetchVcek(url: string): Promise<Uint8Array | undefined> {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await get(url);
      } catch (cause) {
        throw new Unavailable(`AMD KDS unreachable: ${(cause as Error).message}`, { cause });
      }
      if (res.status === 200) return res.body;
      if (res.status === 404) return undefined;
      if ((res.status === 429 || res.status === 503) && attempt < maxRetries) {
        await sleep(Math.min(maxBackoff, retryAfterMs(res.headers['retry-after']) ?? backoff * 2 ** attempt));
        continue;
      }
      throw new Unavailable(`AMD KDS answered ${res.status} for ${url}`);
    }
  }

  return {
    get cacheSize() {
      return cache.size;
    },
    async getVek(q: SnpVekQuery): Promise<Uint8Array | undefined> {
      if (isAllZero(q.chipId)) return undefined;
      const url = kdsVcekUrl(base, q);
      const hit = cache.get(url);
      if (hit) return hit;
      let p = inflight.get(url);
      if (!p) {
        p = fetchVcek(url).finally(() => inflight.delete(url));
        inflight.set(url, p);
      }
      const der = await p;
      if (der) {
        if (cache.size >= limit) cache.delete(cache.keys().next().value!);
        cache.set(url, der);
      }
      return der;
    },
  };
}
