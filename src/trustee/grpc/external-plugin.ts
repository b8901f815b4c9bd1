/**
 * Upstream's `external` KBS plugin: `/kbs/v0/external/<backend>/<path...>` is forwarded to the gRPC
 * service `kbs.plugin.v1.KbsPlugin` of that backend (`protocol/kbs-plugin-grpc.ts`) — `ValidateAuth`
 * (admin or attested call), `Handle` (the answer), `NeedsEncryption` (JWE to the TEE key). The path
 * the backend sees starts after the backend name; body, query and method are passed as they came.
 *
 * As upstream (the config loader checks the backend list: unique names, `https://` needs
 * `ca_cert_path`): a `status_code` of 0 or 2xx is success and any other makes the call fail with the backend's body in
 * the message; `timeout_ms` bounds each call (otherwise 300 s). Calls to an unknown backend fail with
 * NotFound naming it. Metrics as upstream's: `kbs_plugin_requests_total` and
 * `kbs_plugin_request_duration_seconds` for `Handle`, `kbs_plugin_errors_total` for any failed RPC,
 * each by `plugin_name` (the backend).
 * @module
 */
import { performance } from 'node:perf_hooks';
import { ConfigError, NotFound, Unavailable, fromUtf8 } from '../../core/index.js';
import {
  KBS_PLUGIN_METHODS,
  NEEDS_ENCRYPTION_REQUEST,
  NEEDS_ENCRYPTION_RESPONSE,
  PLUGIN_REQUEST,
  PLUGIN_RESPONSE,
  VALIDATE_AUTH_REQUEST,
  VALIDATE_AUTH_RESPONSE,
  type ProtoMessage,
} from '../../protocol/index.js';
import type { MetricsHooks } from '../kbs/metrics-hooks.js';
import type { KbsPlugin, PluginRequest } from '../kbs/plugins.js';
import { remoteFailure } from './errors.js';
import { GrpcClient } from './client.js';

export interface ExternalBackend {
  name: string;
  /** `http://host:port` or `https://host:port`. */
  endpoint: string;
  /** PEM of the CA for an `https://` endpoint (required there, as upstream). */
  caCertPem?: string;
  timeoutMs?: number;
}

/** The `external` plugin over `backends`; throws ConfigError for duplicate names or a bad endpoint. */
export function externalPlugin(backends: readonly ExternalBackend[]): KbsPlugin {
  if (backends.length === 0) throw new ConfigError('the external plugin needs at least one backend', { key: 'plugins.backends' });
  const clients = new Map<string, GrpcClient>();
  // Endpoints, TLS files and timeouts are checked by the config loader (with their keys) and by GrpcClient.
  for (const b of backends) {
    if (clients.has(b.name)) throw new ConfigError(`duplicate external plugin backend ${JSON.stringify(b.name)}`, { key: 'plugins.backends.name' });
    clients.set(
      b.name,
      new GrpcClient(b.endpoint, { ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}), ...(b.caCertPem !== undefined ? { tls: { ca: b.caCertPem } } : {}) }),
    );
  }

  /** The backend named by the first path segment, and the request the backend sees. */
  const route = (req: PluginRequest): { name: string; client: GrpcClient; message: ProtoMessage } => {
    const [name, ...path] = req.path;
    if (name === undefined || name === '') throw new NotFound('external plugin: the backend name is missing from the path');
    const client = clients.get(name);
    if (!client) throw new NotFound(`external plugin backend ${JSON.stringify(name.slice(0, 100))} is not configured`);
    return { name, client, message: { body: req.body, query: { ...req.query }, path, method: req.method } };
  };

  let metrics: MetricsHooks | undefined;
  const call = async (req: PluginRequest, path: string, request: typeof PLUGIN_REQUEST, response: typeof PLUGIN_RESPONSE): Promise<{ name: string; res: ProtoMessage }> => {
    const { name, client, message } = route(req);
    const rpc = path === KBS_PLUGIN_METHODS.handle ? 'handle' : 'other';
    const t0 = performance.now();
    try {
      const res = await client.unary(path, request, message, response);
      metrics?.plugin(name, rpc, true, (performance.now() - t0) / 1000);
      return { name, res };
    } catch (err) {
      metrics?.plugin(name, rpc, false, (performance.now() - t0) / 1000);
      throw remoteFailure(err, `external plugin backend ${name}`, `kbs.plugin.external.${name}`);
    }
  };

  return {
    async validateAuth(req) {
      return (await call(req, KBS_PLUGIN_METHODS.validateAuth, VALIDATE_AUTH_REQUEST, VALIDATE_AUTH_RESPONSE)).res.requires_admin_auth as boolean;
    },
    async handle(req) {
      const { name, res } = await call(req, KBS_PLUGIN_METHODS.handle, PLUGIN_REQUEST, PLUGIN_RESPONSE);
      const status = res.status_code as number;
      const body = res.body as Uint8Array;
      if (status === 0 || (status >= 200 && status <= 299)) return body;
      throw new Unavailable(`external plugin backend ${name} answered status ${status}: ${fromUtf8Lossy(body.subarray(0, 200))}`);
    },
    async encrypted(req) {
      return (await call(req, KBS_PLUGIN_METHODS.needsEncryption, NEEDS_ENCRYPTION_REQUEST, NEEDS_ENCRYPTION_RESPONSE)).res.requires_payload_encryption as boolean;
    },
    close() {
      for (const c of clients.values()) c.close();
    },
    attachMetrics(m) {
      metrics = m;
    },
  };
}

function fromUtf8Lossy(bytes: Uint8Array): string {
  try {
    return fromUtf8(bytes);
  } catch {
    return `${bytes.length} bytes that are not UTF-8`;
  }
}
