/**
 * Intel Trust Authority as the KBS's attestation service (`[attestation_service] type = "intel_ta"`):
 * each attestation is one HTTPS POST of the evidence to ITA (`request.ts`), with the API key in
 * `x-api-key`; ITA verifies the quote, checks the runtime-data binding and its own policies, and
 * answers `{"token": <JWT>}`. The token is verified here with the keys of `certs_file` (looked up by
 * the header `kid`, the JWK's `alg`, typically PS384) before the KBS keeps it, as upstream does.
 *
 * Beyond upstream: the exchange has a deadline and a size cap; a failure says whether ITA refused the
 * evidence (400 and other 4xx: `as.ita.refused`, with ITA's `error` text), refused the KBS's own
 * settings (401, 403, 404, 405: `as.ita.config`), was unavailable (5xx, 429, transport:
 * `as.ita.unavailable`), answered something that is not a token (`as.ita.response`) or signed with a
 * key we do not trust (`as.ita.token`). The API key never appears in errors or logs, even when ITA
 * repeats it. Policies and
 * reference values live in ITA: those admin calls are `Unsupported` here, naming ITA.
 * @module
 */
import { CocoError, MalformedInput, Unavailable, Unsupported, VerificationFailed, expectObject, expectString, parseJsonText } from '../../core/index.js';
import type { Tee } from '../../protocol/index.js';
import type { AttestationOutcome, EvidenceItem } from '../as/attestation-service.js';
import { TokenVerifier } from '../as/token-verifier.js';
import { withCheck } from '../check-tag.js';
import { clip } from '../grpc/errors.js';
import { HTTPS_GET_LIMIT, httpsPostOnce, withExtraCa } from '../http/https-get.js';
import type { KbsContext } from '../kbs/context.js';
import { buildItaRequest, itaBaseUrl, itaChallengeParams } from './request.js';

export interface IntelTaOptions {
  /** `base_url`, e.g. `https://api.trustauthority.intel.com` (https only: the API key travels with every request). */
  baseUrl: string;
  /** `api_key`. */
  apiKey: string;
  /** The keys of `certs_file` (a JWK set), which sign ITA's tokens. */
  jwks: Array<Record<string, unknown>>;
  /** `policy_ids` (default none). */
  policyIds?: readonly string[];
  /** `allow_unmatched_policy` (default false). */
  allowUnmatchedPolicy?: boolean;
  /** Connect to last byte of one appraisal, ms (default 60 000). */
  timeoutMs?: number;
  /** One more trusted CA (PEM) besides Node's bundled roots (tests, private proxies). */
  extraCaPem?: string;
  /** Sent as `User-Agent` after upstream's product name. */
  version?: string;
}

/** Longest ITA answer read (a token with claims for several devices stays far below). */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** Longest piece of ITA's error text kept in our message. */
const MAX_ERROR_TEXT = 512;
/** Statuses that mean the KBS's own settings are wrong (API key, base_url), not the guest's evidence. */
const OPERATOR_STATUSES = new Set([401, 403, 404, 405]);

export class IntelTrustAuthority {
  /** The verifier of ITA's tokens (its `kid` keys can be replaced when `certs_file` is reloaded). */
  readonly tokens: TokenVerifier;
  /** `base_url`, checked. */
  readonly target: string;
  readonly #apiKey: string;
  readonly #options: Omit<IntelTaOptions, 'apiKey' | 'jwks'>;

  constructor(options: IntelTaOptions) {
    this.target = itaBaseUrl(options.baseUrl);
    if (options.apiKey.length === 0) throw new MalformedInput('the Intel Trust Authority API key is empty', { where: 'api_key' });
    this.#apiKey = options.apiKey;
    const { apiKey: _k, jwks, ...rest } = options;
    this.#options = rest;
    this.tokens = new TokenVerifier({ jwks });
  }

  /** The `/auth` challenge's `extra-params` (the runtime-data hash ITA needs of `tee`). */
  challengeParams(tee: Tee, params: unknown): unknown {
    return itaChallengeParams(tee, params);
  }

  /** Appraise the evidence at ITA and verify the token it issues. `policyIds` of the KBS are not ITA's and are not sent. */
  async evaluate(items: readonly EvidenceItem[], _policyIds: readonly string[], now: Date): Promise<AttestationOutcome> {
    const plan = buildItaRequest(items, { policyIds: this.#options.policyIds ?? [], allowUnmatchedPolicy: this.#options.allowUnmatchedPolicy ?? false });
    const url = this.target + plan.path;
    const token = await this.#post(url, JSON.stringify(plan.body));
    let claims: Record<string, unknown>;
    try {
      claims = await this.tokens.verifyAsync(token, now);
    } catch (err) {
      const why = err instanceof CocoError ? err.message : String(err);
      throw new VerificationFailed('as.ita.token', `the Intel Trust Authority token does not verify with the keys of certs_file: ${why}`, { cause: err });
    }
    const notes = plan.skipped.map((s) => `not sent to Intel Trust Authority: ${s}`);
    if (items.some((i) => i.initData || i.initDataDigest)) notes.push('init-data was not checked: Intel Trust Authority does not take it (as upstream)');
    return { token, claims, checks: [{ id: 'as.ita', ok: true, detail: `token from ${url}` }], notes, explanations: [] };
  }

  async #post(url: string, body: string): Promise<string> {
    const headers = {
      'user-agent': `Confidential-containers-trustee coco-ts/${this.#options.version ?? '0'}`,
      'content-type': 'application/json',
      'x-api-key': this.#apiKey,
    };
    let answer;
    try {
      answer = await httpsPostOnce(url, headers, body, {
        accept: 'application/json',
        timeoutMs: this.#options.timeoutMs ?? 60_000,
        maxBytes: MAX_ANSWER_BYTES,
        ...withExtraCa(this.#options.extraCaPem),
      });
    } catch (err) {
      const limit = (err as { code?: string }).code === HTTPS_GET_LIMIT;
      const why = `Intel Trust Authority at ${this.target} ${limit ? 'did not answer in time or within the size limit' : 'is unreachable'}: ${(err as Error).message}`;
      throw withCheck(new Unavailable(why, { cause: err }), 'as.ita.unavailable');
    }
    const text = answer.body.toString('utf8');
    if (answer.status !== 200) {
      const reason = errorTextOf(text, this.#apiKey);
      const message = `Intel Trust Authority answered ${answer.status}${reason ? `: ${clip(reason, MAX_ERROR_TEXT)}` : ''}`;
      if (answer.status >= 500 || answer.status === 429) throw withCheck(new Unavailable(message), 'as.ita.unavailable');
      // A wrong API key or base_url is the operator's to fix, not a verdict on the evidence.
      if (OPERATOR_STATUSES.has(answer.status)) throw withCheck(new Unavailable(`${message} (check attestation_service.api_key and base_url)`), 'as.ita.config');
      throw new VerificationFailed('as.ita.refused', message);
    }
    try {
      return expectString(expectObject(parseJsonText(text, 'ita.response'), 'ita.response').token, 'ita.response.token');
    } catch (err) {
      throw withCheck(new MalformedInput(`Intel Trust Authority answered 200 without a token: ${(err as Error).message}`, { where: 'ita.response', cause: err }), 'as.ita.response');
    }
  }

  /** ITA keeps its own policies: nothing here to set or read. */
  readonly policies = {
    set: async (id: string, _text: string): Promise<void> => {
      throw new Unsupported(`attestation policy ${id}: with intel_ta the attestation policies live in Intel Trust Authority (choose them with attestation_service.policy_ids)`);
    },
    text: async (id: string): Promise<string | undefined> => {
      throw new Unsupported(`attestation policy ${id}: with intel_ta the attestation policies live in Intel Trust Authority`);
    },
    list: async (): Promise<string[]> => {
      throw new Unsupported('with intel_ta the attestation policies live in Intel Trust Authority');
    },
  };

  /** ITA has no reference-value provider that the KBS can feed. */
  readonly rvps: KbsContext['rvps'] = {
    register: async () => {
      throw new Unsupported('with intel_ta there is no reference value provider: Intel Trust Authority appraises with its own policies');
    },
    list: async () => {
      throw new Unsupported('with intel_ta there is no reference value provider');
    },
    live: async () => undefined,
    get: async (name: string) => {
      throw new Unsupported(`reference value ${name}: with intel_ta there is no reference value provider`);
    },
  };

  close(): void {}
}

/**
 * ITA's `{"error": "..."}` text, or the body itself when it is plain text; control characters dropped
 * and any occurrence of the API key masked, since it goes into audit records and (verbose) answers.
 */
function errorTextOf(body: string, apiKey: string): string | undefined {
  let text = body;
  try {
    const o = JSON.parse(body) as unknown;
    if (o !== null && typeof o === 'object' && typeof (o as { error?: unknown }).error === 'string') text = (o as { error: string }).error;
  } catch {
    // not JSON: the body as it is
  }
  const clean = text.split(apiKey).join('<api key>').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > 0 ? clean : undefined;
}
