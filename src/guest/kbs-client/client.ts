/**
 * The background-check KBS client (reference/guest-components.md §2.1–2.2): RCAR with up to 5
 * attempts, resource GETs with up to 3 attempts, a fresh handshake on 401, give-up on 404, and
 * JWE decryption with the TEE key. Transport, clock and retry delays are injected.
 * @module
 */
import { Unauthorized, decryptJwe, isCocoError, type CocoError } from '../../core/index.js';
import type { Attester } from '../attester/attester.js';
import type { FetchLike } from './http.js';
import { tokenUsableAt } from './jwt-claims.js';
import { runRcar, type RcarResult } from './rcar.js';
import { resourceRequestPath } from './resource.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { createTeeKey, type TeeKey, type TeeKeyAlgorithm } from './tee-key.js';
import { errorForStatus, parseJweResponse, sessionCookieOf, transportError } from './wire.js';

export interface KbsClientOptions {
  /** KBS root URL (`http(s)://host:port`, trailing `/` trimmed). */
  kbsUrl: string;
  fetch: FetchLike;
  attester: Attester;
  deviceAttesters?: readonly Attester[];
  teeKeyAlgorithm?: TeeKeyAlgorithm;
  /** initdata TOML sent in every `/attest`. */
  initDataToml?: string | undefined;
  retry?: RetryPolicy;
  now?: () => Date;
  /** Called with one line per retry (never with secrets). */
  log?: (line: string) => void;
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A KBS client bound to one TEE key for its lifetime (as upstream's client instance). */
export class KbsClient {
  readonly key: TeeKey;
  readonly kbsUrl: string;
  private readonly opts: KbsClientOptions;
  private readonly retry: RetryPolicy;
  private session: RcarResult | undefined;

  constructor(opts: KbsClientOptions) {
    this.opts = opts;
    this.kbsUrl = opts.kbsUrl.replace(/\/+$/, '');
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.key = createTeeKey(opts.teeKeyAlgorithm);
  }

  get tee(): Attester['tee'] {
    return this.opts.attester.tee;
  }

  /** One handshake, no retries. */
  async handshakeOnce(): Promise<string> {
    this.session = await runRcar({
      kbsUrl: this.kbsUrl,
      fetch: this.opts.fetch,
      attester: this.opts.attester,
      deviceAttesters: this.opts.deviceAttesters ?? [],
      key: this.key,
      initDataToml: this.opts.initDataToml,
    });
    return this.session.token;
  }

  /**
   * Full RCAR with up to `rcarAttempts` attempts. The thrown error keeps the class of the last
   * failure and says how many attempts were made.
   */
  async attest(): Promise<string> {
    let last: unknown;
    for (let i = 1; i <= this.retry.rcarAttempts; i++) {
      try {
        return await this.handshakeOnce();
      } catch (err) {
        last = err;
        this.opts.log?.(`RCAR attempt ${i}/${this.retry.rcarAttempts} failed: ${reasonOf(err)}`);
        if (i < this.retry.rcarAttempts) await this.retry.sleep(this.retry.delayMs(i));
      }
    }
    throw withContext(last, `RCAR handshake failed after ${this.retry.rcarAttempts} attempts`);
  }

  /** The current token, re-attesting when there is none or it has expired. */
  async getToken(): Promise<string> {
    const now = (this.opts.now ?? (() => new Date()))();
    if (this.session && tokenUsableAt(this.session.token, now)) return this.session.token;
    return this.attest();
  }

  /**
   * Fetch and decrypt a resource (`kbs:///repo/type/tag`, `kbs+plugin:///...`, or `repo/type/tag`).
   * @throws NotFound (404, no retry), Unauthorized (still refused after re-attesting),
   *   Unavailable (KBS down / 5xx after all attempts), VerificationFailed `jwe.*` (a JWE not for our key)
   */
  async getResource(uri: string): Promise<Uint8Array> {
    const path = resourceRequestPath(uri);
    if (!this.session) await this.attest();
    let last: CocoError | undefined;
    for (let i = 1; i <= this.retry.resourceAttempts; i++) {
      const headers: Record<string, string> = { 'user-agent': 'coco-ts-guest' };
      if (this.session?.cookie) headers.cookie = `kbs-session-id=${this.session.cookie}`;
      let res: Response;
      try {
        res = await this.opts.fetch(`${this.kbsUrl}${path}`, { method: 'GET', headers });
      } catch (err) {
        last = transportError(err, 'resource');
        await this.pause(i, last);
        continue;
      }
      const text = await res.text();
      if (res.status === 200) {
        const cookie = sessionCookieOf(res);
        if (cookie && this.session) this.session.cookie = cookie;
        return decryptJwe(parseJweResponse(text), this.key.privateKey);
      }
      last = errorForStatus(res.status, text, `GET ${path}`);
      if (res.status === 404) throw last;
      if (res.status === 401) {
        this.opts.log?.(`resource GET refused (${last.message}); re-attesting`);
        if (i < this.retry.resourceAttempts) await this.handshakeOnce();
        continue;
      }
      if (last.code !== 'ERR_UNAVAILABLE') throw last;
      await this.pause(i, last);
    }
    if (last?.code === 'ERR_UNAUTHORIZED') throw new Unauthorized(`resource ${uri} refused after ${this.retry.resourceAttempts} attempts: ${last.message}`);
    throw withContext(last, `resource ${uri} failed after ${this.retry.resourceAttempts} attempts`);
  }

  private async pause(i: number, err: CocoError): Promise<void> {
    this.opts.log?.(`resource attempt ${i}/${this.retry.resourceAttempts} failed: ${err.message}`);
    if (i < this.retry.resourceAttempts) await this.retry.sleep(this.retry.delayMs(i));
  }
}

/** Prefix an error's message, keeping its class and code. */
function withContext(err: unknown, context: string): Error {
  if (isCocoError(err)) {
    err.message = `${context}: ${err.message}`;
    return err;
  }
  return new Error(`${context}: ${reasonOf(err)}`, { cause: err });
}
