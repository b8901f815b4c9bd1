/**
 * `coco trustee serve [-c|--config kbs-config.toml] [--host H] [--port N] [--data-dir DIR] ...` —
 * runs Trustee (KBS + built-in AS + RVPS). `npm start` runs it on 127.0.0.1:8080 with SQLite in
 * `./data`, where an Ed25519 admin key pair is generated and an admin token written.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isCocoError } from '../core/index.js';
import {
  TRUSTEE_FLAGS_HELP,
  adminHooksOf,
  createAdminAuthorizer,
  createKbsMetrics,
  createTrustee,
  ensureAdminKeyPair,
  listen,
  loadConfig,
  metricsHooksOf,
  mintAdminToken,
  openStore,
  optionsFromConfig,
  verifierEnvFromConfig,
  parseTrusteeArgs,
  readPem,
  regoPolicyEngine,
  type KvStore,
  type TrusteeConfig,
} from '../trustee/index.js';
import { EXIT } from './main.js';

export const summary = 'run Trustee (KBS, attestation service, RVPS): coco trustee serve [-c kbs-config.toml] [--port N] [--data-dir DIR]';

const USAGE = `usage: coco trustee serve [options]\n\n${TRUSTEE_FLAGS_HELP}\n  (--config is accepted for --config-file)`;
const ADMIN_TOKEN_FILE = 'admin-token';

function describeStore(c: TrusteeConfig['storage']): string {
  return c.type === 'sqlite' ? `SQLite ${c.path}` : c.type === 'postgres' ? 'PostgreSQL' : 'in memory (lost on exit)';
}

/** Sweep expired sessions and old audit records now and then (failures are retried next round). */
function startSweeper(store: KvStore, sessions: KvStore, config: TrusteeConfig): () => void {
  const r = config.retention;
  const timer = setInterval(() => {
    sessions.sweep('kbs_protocol_session', r.sessionMaxEntries).catch(() => undefined);
    store.sweep('audit', r.auditMaxEntries).catch(() => undefined);
  }, r.sweepIntervalSec * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

async function serve(argv: string[]): Promise<number> {
  // `--config` is accepted as a short form of `--config-file`.
  const args = parseTrusteeArgs(argv.map((a) => (a === '--config' ? '--config-file' : a.startsWith('--config=') ? `--config-file=${a.slice(9)}` : a)));
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const config = loadConfig({ ...(args.file !== undefined ? { file: args.file } : {}), env: process.env, overrides: args.overrides });
  const usesDataDirKey = config.admin.mode === 'AuthenticatedAuthorization' && args.file === undefined;
  const keys = usesDataDirKey ? ensureAdminKeyPair(config.dataDir) : undefined;
  let tokenPath: string | undefined;
  if (keys) {
    tokenPath = join(config.dataDir, ADMIN_TOKEN_FILE);
    writeFileSync(tokenPath, await mintAdminToken(readPem(keys.privateKeyPath), { ttlSec: 12 * 3600 }), { mode: 0o600 });
  }
  const socket = config.http.sockets[0]!;
  let tls: { key: string; cert: string } | undefined;
  if (!config.http.insecureHttp) {
    if (!config.http.privateKey || !config.http.certificate) {
      throw new ConfigError('HTTPS needs http_server.private_key and http_server.certificate (or set insecure_http = true)', { key: 'http_server' });
    }
    tls = { key: readFileSync(config.http.privateKey, 'utf8'), cert: readFileSync(config.http.certificate, 'utf8') };
  }
  const store = await openStore(config.storage);
  // With the embedded defaults (no config file) sessions live in memory, as upstream's default:
  // they last minutes, and a durable write per RCAR step would cost far more than it saves.
  const sessionsInMemory = config.source === undefined && config.sessionStorage.type !== 'postgres';
  const sameStore = JSON.stringify(config.sessionStorage) === JSON.stringify(config.storage);
  const sessionStore = sessionsInMemory ? await openStore({ type: 'memory' }) : sameStore ? store : await openStore(config.sessionStorage);
  const metrics = createKbsMetrics({ version: '0.1.0', gitHash: 'unknown', buildDate: 'unknown' });
  const trustee = await createTrustee({
    ...optionsFromConfig(config),
    store,
    sessionStore,
    policyEngine: regoPolicyEngine,
    verifierEnv: await verifierEnvFromConfig(config.attestationService.verifier),
    admin: adminHooksOf(createAdminAuthorizer(config.admin)),
    metrics: metricsHooksOf(metrics),
  });
  const stopSweeper = startSweeper(store, sessionStore, config);
  const server = await listen(trustee, { host: socket.host, port: socket.port, bodyLimitBytes: config.http.payloadRequestSizeBytes, ...(tls ? { tls } : {}) });
  const auth = tokenPath ? `-H "Authorization: Bearer $(cat ${tokenPath})"` : '-H "Authorization: Bearer <admin JWT>"';
  console.log(
    [
      `Trustee listening on ${server.url}  (KBS API ${server.url}/kbs/v0, metrics ${server.url}/metrics)`,
      `storage:          ${describeStore(config.storage)}; sessions ${sessionsInMemory ? 'in memory' : describeStore(config.sessionStorage)}`,
      `admin mode:       ${config.admin.mode}`,
      ...(keys ? [`admin key pair:   ${keys.privateKeyPath} (private), ${keys.publicKeyPath} (public)`, `admin token:      ${tokenPath} (valid 12 h, re-minted at each start; or: coco admin token)`] : []),
      '',
      'try it:',
      `  curl -s ${auth} --data-binary @secret.txt ${server.url}/kbs/v0/resource/default/demo/key`,
      `  curl -s ${auth} ${server.url}/kbs/v0/resource`,
      `  curl -s ${auth} "${server.url}/kbs/v0/audit?limit=10&outcome=denied"`,
      '',
      'Guests attest at POST /kbs/v0/auth + /kbs/v0/attest (protocol 0.4.0). The default resource policy refuses',
      'the sample (non-TEE) attester; set your own with POST /kbs/v0/resource-policy. Ctrl-C stops Trustee.',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  stopSweeper();
  await server.close();
  await trustee.close();
  return EXIT.ok;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'serve') {
    console.error(USAGE);
    return sub === undefined || sub === '--help' || sub === '-h' ? EXIT.ok : EXIT.usage;
  }
  try {
    return await serve(rest);
  } catch (err) {
    console.error(`coco trustee: ${isCocoError(err) ? err.message : (err as Error).message}`);
    if (isCocoError(err) && err.code === 'ERR_CONFIG') return EXIT.usage;
    return isCocoError(err) && err.code === 'ERR_UNAVAILABLE' ? EXIT.unavailable : EXIT.failure;
  }
}
