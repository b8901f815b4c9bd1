/**
 * One bounded HTTPS GET, shared by the clients that fetch trust material at run time (AMD KDS, Intel
 * PCS/PCCS, remote JWK sets), and the same bounded exchange as a POST (`httpsPostOnce`: the Intel
 * Trust Authority client): a deadline from connect to the last byte and a body size cap, checked
 * against the declared `content-length` and while streaming. Redirects are not followed (callers
 * that follow them check where they lead). Exceeding a limit rejects with an `Error` whose `code` is
 * `HTTPS_GET_LIMIT`; transport and TLS failures reject with Node's own error.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

export const HTTPS_GET_LIMIT = 'HTTPS_GET_LIMIT';

/** The `ca` option that trusts Node's bundled roots plus `extraCaPem` (absent: Node's defaults). */
export function withExtraCa(extraCaPem: string | undefined): { ca?: string[] } {
  return extraCaPem !== undefined ? { ca: [...rootCertificates, extraCaPem] } : {};
}

export interface HttpsGetOptions {
  /** Trusted CAs replacing Node's default list (absent = Node's defaults). */
  ca?: string | string[];
  /** Connect to last byte, ms (default 10 000). */
  timeoutMs?: number;
  /** Largest body in bytes (default 1 MiB). */
  maxBytes?: number;
  accept?: string;
  /** Open a fresh connection and close it afterwards (for one-off fetches at startup). */
  noKeepAlive?: boolean;
}

export interface HttpsAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function limitError(message: string): Error {
  return Object.assign(new Error(message), { code: HTTPS_GET_LIMIT });
}

export function httpsGetOnce(url: string | URL, o: HttpsGetOptions = {}): Promise<HttpsAnswer> {
  return exchange(url, 'GET', { accept: o.accept ?? '*/*' }, undefined, o);
}

/** One bounded HTTPS POST of `body` with `headers` (besides `accept` and `content-length`); limits as `httpsGetOnce`. */
export function httpsPostOnce(url: string | URL, headers: Record<string, string>, body: Uint8Array | string, o: HttpsGetOptions = {}): Promise<HttpsAnswer> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return exchange(url, 'POST', { accept: o.accept ?? '*/*', ...headers, 'content-length': String(bytes.length) }, bytes, o);
}

function exchange(url: string | URL, method: 'GET' | 'POST', headers: Record<string, string>, body: Uint8Array | undefined, o: HttpsGetOptions): Promise<HttpsAnswer> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const maxBytes = o.maxBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, answer?: HttpsAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(answer!);
    };
    const req = request(
      url,
      {
        method,
        headers,
        ...(o.noKeepAlive ? { agent: false } : {}),
        ...(o.ca !== undefined ? { ca: o.ca } : {}),
      },
      (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) return finish(limitError(`response of ${declared} bytes is over the ${maxBytes}-byte limit`));
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) finish(limitError(`response is over the ${maxBytes}-byte limit`));
          else chunks.push(c);
        });
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (e) => finish(e));
      },
    );
    const timer = setTimeout(() => finish(limitError(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => finish(e));
    req.end(body);
  });
}
