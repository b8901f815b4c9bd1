/**
 * The KBS client's HTTP edge: a `fetch`-like function over node:http/https so that a pinned CA
 * (`--kbs-ca`, upstream `kbs_cert`) and a hard per-request timeout apply. Tests pass their own
 * `FetchLike` instead (an in-process fake KBS or a misbehaving server).
 * @module
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LimitExceeded, Unavailable } from '../../core/index.js';

/** The subset of `fetch` the client uses. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<Response>;

export interface NodeFetchOptions {
  /** PEM CA certificate(s) trusted for HTTPS instead of the system store. */
  ca?: string;
  /** Abort a request (connect + response) after this many milliseconds. Default 60 000 (upstream reqwest timeout). */
  timeoutMs?: number;
  /** Largest accepted response body. Default 64 MiB. */
  maxBodyBytes?: number;
}

/** A `FetchLike` backed by node:http/https with a pinned CA, a timeout and a body limit. */
export function nodeFetch(opts: NodeFetchOptions = {}): FetchLike {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const u = new URL(url);
      const isHttps = u.protocol === 'https:';
      if (!isHttps && u.protocol !== 'http:') {
        reject(new Unavailable(`unsupported KBS URL scheme ${u.protocol}`));
        return;
      }
      const send = isHttps ? httpsRequest : httpRequest;
      const req = send(
        u,
        { method: init.method, headers: init.headers, ...(isHttps && opts.ca ? { ca: opts.ca } : {}), signal: init.signal },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBody) {
              reject(new LimitExceeded(`KBS response larger than ${maxBody} bytes`));
              res.removeAllListeners('end');
              res.destroy();
              return;
            }
            chunks.push(c);
          });
          res.on('error', (err) => reject(new Unavailable(`KBS response failed: ${err.message}`, { cause: err })));
          res.on('end', () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const x of v) headers.append(k, x);
              else if (v !== undefined) headers.set(k, v);
            }
            const status = res.statusCode ?? 502;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers }));
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Unavailable(`KBS did not answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof LimitExceeded || err instanceof Unavailable ? err : new Unavailable(`KBS unreachable: ${err.message}`, { cause: err })));
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
}
