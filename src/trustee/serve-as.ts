/**
 * `coco trustee serve-as`: the Attestation Service and RVPS on their own, behind upstream's gRPC
 * interface (`grpc/as-service.ts`), for a split deployment where one or more KBSs run with
 * `[attestation_service] type = "coco_as_grpc"` (ours, or upstream's), plus the standard
 * `grpc.health.v1.Health/Check` for probes. It reads the same config
 * file as `coco trustee serve` — the `[attestation_service]` section (token broker, signer, verifier
 * settings) and the storage — and listens on cleartext HTTP/2 at `host:port` (default
 * 127.0.0.1:50004, upstream's port for it), or over TLS. Like upstream's, the interface has no
 * authentication of its own, so an address other than loopback needs mutual TLS (`tls.clientCa`:
 * callers must hold a certificate from that CA) or an explicit `allowRemote`.
 *
 * The KBS that uses it must trust its token signer: configure `attestation_service
 * .attestation_token_broker.signer` here and give the KBS the certificate or JWK set (without a
 * signer key, the key is fresh at each start and only `insecure_header_jwk` would accept it).
 * @module
 */
import { ConfigError, isLoopbackAddress } from '../core/index.js';
import type { PolicyEngine } from './as/policy-engine.js';
import type { TrusteeConfig } from './config.js';
import { verifierEnvFromConfig } from './config/verifier-env.js';
import { AS_SERVICE_NAMES, asServiceMethods, healthCheckMethod } from './grpc/as-service.js';
import { serveGrpc, type GrpcListening, type GrpcServerTls } from './grpc/server.js';
import { trusteeOptionsFromConfig } from './serve.js';
import { createTrustee, type Trustee } from './server.js';
import { openStore, startRetention } from './storage/index.js';

/** Upstream's port for the gRPC attestation service. */
export const DEFAULT_AS_PORT = 50004;

export interface RunningAsServer {
  readonly url: string;
  readonly port: number;
  /** The in-process Trustee whose AS, policies and RVPS are served (its KBS routes are not). */
  readonly trustee: Trustee;
  close(): Promise<void>;
}

export interface AsServerAddress {
  host?: string;
  port?: number;
  /**
   * Listen on an address other than loopback. The gRPC interface has no authentication (as upstream's):
   * whoever reaches it can set policies and reference values, so this must be asked for explicitly
   * (`--allow-remote`) and the port kept on a private network.
   */
  allowRemote?: boolean;
  /**
   * Serve over TLS (PEM key pair); with `clientCa`, mutual TLS: only KBSs holding a client certificate
   * from that CA can call, which is authentication, so any address may then be used.
   */
  tls?: GrpcServerTls;
}

/** A loopback address (`core/address.ts`) or the name `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/** Open the store, build the AS and serve it over gRPC. */
export async function runAsServer(
  config: TrusteeConfig,
  address: AsServerAddress,
  deps: { policyEngine: PolicyEngine; log?: (line: string) => void },
): Promise<RunningAsServer> {
  if (config.attestationService.type !== 'coco_as_builtin') {
    throw new ConfigError('coco trustee serve-as runs the attestation service itself: attestation_service.type must be "coco_as_builtin"', { key: 'attestation_service.type' });
  }
  const host = address.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !address.allowRemote && address.tls?.clientCa === undefined) {
    throw new ConfigError(
      `--host ${host}: the attestation service's gRPC interface has no authentication of its own (as upstream's), so it listens on loopback only unless clients must present a certificate (--client-ca) or --allow-remote is given`,
      { key: '--host' },
    );
  }
  // The gRPC services serve no KBS plugins: none are built (an HSM session would be opened for nothing).
  const options = trusteeOptionsFromConfig(config, { withPlugins: false });
  const verifierEnv = await verifierEnvFromConfig(config.attestationService.verifier);
  const store = await openStore(config.storage);
  // No KBS sessions here; audit records are not written by the AS calls either, but keep the bound.
  const retention = startRetention(store, [{ ns: 'audit', maxEntries: config.retention.auditMaxEntries }], { intervalMs: config.retention.sweepIntervalSec * 1000 });
  let trustee: Trustee;
  try {
    trustee = await createTrustee({ ...options, store, policyEngine: deps.policyEngine, verifierEnv });
  } catch (err) {
    await retention.stop();
    await store.close();
    throw err;
  }
  const ctx = trustee.context;
  const log = deps.log ?? ((line: string) => console.error(`coco trustee serve-as: ${line}`));
  let listening: GrpcListening;
  try {
    const methods = [...asServiceMethods({ as: ctx.as, policies: ctx.asPolicies, rvps: ctx.rvps, tees: ctx.settings.supportedTees, now: ctx.now }), healthCheckMethod(AS_SERVICE_NAMES)];
    listening = await serveGrpc(methods, {
      host,
      port: address.port ?? DEFAULT_AS_PORT,
      maxMessageBytes: config.http.payloadRequestSizeBytes,
      ...(address.tls ? { tls: address.tls } : {}),
      onError: (path, code, message) => log(`${path} failed (status ${code}): ${message}`),
    });
  } catch (err) {
    await retention.stop();
    await trustee.close();
    throw err;
  }
  return {
    url: listening.url,
    port: listening.port,
    trustee,
    async close() {
      await listening.close();
      await retention.stop();
      await trustee.close();
    },
  };
}
