/**
 * KBS plugins other than `resource` (reference/trustee.md §2.2 `[[plugins]]`): `/kbs/v0/<name>/...`
 * is served by the plugin of that name, as upstream's plugin manager does.
 *
 * A call first asks the plugin whether it needs admin authorization (`validateAuth`). If so, the
 * admin check runs and the plugin's answer is returned as it is. If not, the caller must present an
 * attestation token (attested session cookie or `Authorization: Bearer`), which is verified, and the
 * resource policy must allow it with `data = {plugin, "resource-path", query}` — the same rule that
 * guards resources; the plugin then gets the token's init-data claims, and when it asks for it
 * (`encrypted`) its answer is returned as a JWE to the TEE key in the token.
 *
 * Shipped: `sample` (upstream's test plugin: admin-only, answers "sample plugin response"),
 * `external` (`grpc/external-plugin.ts`: backends over upstream's `plugin.proto`), `pkcs11`
 * (`pkcs11-plugin.ts`: resources in an HSM) and `provisioner` (`provisioner-plugin.ts`: per-VM disk keys).
 * @module
 */
import { type FlattenedJwe, utf8 } from '../../core/index.js';
import { withCheck, withDefaultCheck } from '../check-tag.js';
import { summarizeToken, withAuditFields } from './audit-explain.js';
import type { KbsContext } from './context.js';
import type { MetricsHooks } from './metrics-hooks.js';
import { authorizeRelease, teePubKeyOf, tokenOf } from './resource.js';

/** A plugin call as the plugin sees it (path: the segments after `/kbs/v0/<name>/`). */
export interface PluginRequest {
  body: Uint8Array;
  query: Record<string, string>;
  path: string[];
  method: string;
}

export interface KbsPlugin {
  /** True: the call needs admin authorization; false: an attestation token and the resource policy. */
  validateAuth(req: PluginRequest): Promise<boolean>;
  /** The answer body; `initData` is the token's `init_data_claims` on attested calls. */
  handle(req: PluginRequest, initData?: unknown): Promise<Uint8Array>;
  /** Whether an attested call's answer goes back as a JWE to the TEE key. */
  encrypted(req: PluginRequest): Promise<boolean>;
  /** Release connections (external backends). */
  close?(): void;
  /** Receive the metrics hooks (external backends report `kbs_plugin_*`). */
  attachMetrics?(metrics: MetricsHooks): void;
}

/** Upstream's `sample` plugin: admin only, a fixed answer. `item` is its (unused) config value. */
export function samplePlugin(_item: string): KbsPlugin {
  return {
    validateAuth: async () => true,
    handle: async () => utf8('sample plugin response'),
    encrypted: async () => false,
  };
}

export type AttestedPluginAnswer = { jwe: FlattenedJwe } | { body: Uint8Array };

/** Where a plugin's init-data claims sit in an EAR token. */
const INIT_DATA_POINTER = ['submods', 'cpu0', 'ear.veraison.annotated-evidence', 'init_data_claims'] as const;

function initDataClaimsOf(claims: Record<string, unknown>): unknown {
  let v: unknown = claims;
  for (const k of INIT_DATA_POINTER) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The attested path of a plugin call: token, resource policy, the plugin's answer, encrypted if it asks. */
export async function attestedPluginCall(
  ctx: KbsContext,
  name: string,
  plugin: KbsPlugin,
  req: PluginRequest,
  credentials: { sessionId: string | undefined; authorization: string | undefined },
  now: Date,
): Promise<AttestedPluginAnswer> {
  const token = await tokenOf(ctx, credentials, now);
  const claims = await ctx.tokens.verifyAsync(token, now);
  try {
    await authorizeRelease(ctx, claims, name, req.path, req.query);
  } catch (err) {
    throw withAuditFields(err as Error, { token: summarizeToken(token, claims) });
  }
  let body: Uint8Array;
  let encrypt: boolean;
  try {
    body = await plugin.handle(req, initDataClaimsOf(claims));
    encrypt = await plugin.encrypted(req);
  } catch (err) {
    throw withDefaultCheck(err as Error, `kbs.plugin.${name}`);
  }
  if (!encrypt) return { body };
  const key = teePubKeyOf(claims, ctx.settings.extraTeeKeyPaths);
  try {
    return { jwe: await ctx.crypto.seal(body, key) };
  } catch (err) {
    throw withCheck(err as Error, 'kbs.jwe.alg');
  }
}
