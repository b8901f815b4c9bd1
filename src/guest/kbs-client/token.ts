/**
 * Bearer-token ("passport") mode (reference/guest-components.md §2.5): resources are fetched with
 * `Authorization: Bearer <token>` and decrypted with the TEE key whose public half is inside the
 * token; on 401 a fresh token is obtained and the GET retried, up to 3 attempts. Also the
 * `GetToken("kbs")` JSON that `/aa/token` returns.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { Unauthorized, decryptJwe, type CocoError } from '../../core/index.js';
import type { FetchLike } from './http.js';
import { resourceRequestPath } from './resource.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { teeKeyPem, type TeeKey } from './tee-key.js';
import { errorForStatus, parseJweResponse, transportError } from './wire.js';

/** A token plus the private key of the TEE key pair it was issued for. */
export interface TokenWithKey {
  token: string;
  privateKey: KeyObject;
}

export interface TokenResourceOptions {
  kbsUrl: string;
  fetch: FetchLike;
  /** Returns a token; called again after a 401 (`fresh` = true). */
  getToken(fresh: boolean): Promise<TokenWithKey>;
  retry?: RetryPolicy;
}

/** Fetch and decrypt a resource in bearer-token mode. */
export async function getResourceWithToken(opts: TokenResourceOptions, uri: string): Promise<Uint8Array> {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const url = `${opts.kbsUrl.replace(/\/+$/, '')}${resourceRequestPath(uri)}`;
  let current = await opts.getToken(false);
  let last: CocoError | undefined;
  for (let i = 1; i <= retry.resourceAttempts; i++) {
    let res: Response | undefined;
    try {
      res = await opts.fetch(url, { method: 'GET', headers: { authorization: `Bearer ${current.token}` } });
    } catch (err) {
      last = transportError(err, 'resource');
    }
    if (res) {
      const text = await res.text();
      if (res.status === 200) return decryptJwe(parseJweResponse(text), current.privateKey);
      last = errorForStatus(res.status, text, `GET ${resourceRequestPath(uri)}`);
      if (res.status === 404) throw last;
      if (res.status === 401) {
        if (i < retry.resourceAttempts) current = await opts.getToken(true);
        continue;
      }
      if (last.code !== 'ERR_UNAVAILABLE') throw last;
    }
    if (i < retry.resourceAttempts) await retry.sleep(retry.delayMs(i));
  }
  if (last?.code === 'ERR_UNAUTHORIZED') throw new Unauthorized(`resource ${uri} refused after ${retry.resourceAttempts} attempts: ${last.message}`);
  throw last ?? new Unauthorized(`resource ${uri} refused`);
}

/** Upstream `GetToken("kbs")` body: `{"token": "...", "tee_keypair": "<PEM private key>"}`. */
export function kbsTokenJson(token: string, key: TeeKey): string {
  return JSON.stringify({ token, tee_keypair: teeKeyPem(key) });
}
