/**
 * `coco trustee serve [-c kbs-config.toml] [--host H] [--port N] [--data-dir DIR] [--storage KIND]` —
 * runs Trustee (KBS + built-in AS + RVPS) from the upstream config format (docs/configuration.md).
 * `npm start` runs it with the embedded defaults: 127.0.0.1:8080, SQLite and an Ed25519 admin key
 * pair in `./data`, and a fresh 12-hour admin token in `./data/admin-token`. With `--workers N`
 * (or `worker_count`, `COCO_WORKERS`) above 1 this process becomes the primary of N worker processes,
 * which run this same command again (node:cluster) and take the worker branch.
 * @module
 */
import cluster from 'node:cluster';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, isCocoError } from '../core/index.js';
import {
  DEFAULT_AS_PORT,
  TRUSTEE_FLAGS_HELP,
  loadConfig,
  loadPolicyEngine,
  parseTrusteeArgs,
  readText,
  runAsServer,
  runTrustee,
  runTrusteeCluster,
  runTrusteeWorker,
  workerCountOf,
  type TrusteeConfig,
} from '../trustee/index.js';
import { EXIT } from './main.js';

export const summary = 'run Trustee (KBS, attestation service, RVPS): coco trustee serve [-c kbs-config.toml] [--port N] [--data-dir DIR]; coco trustee serve-as (gRPC AS)';

const USAGE = `usage: coco trustee serve [options]
       coco trustee serve-as [-c kbs-config.toml] [--host H] [--port N] [--data-dir DIR] [--storage KIND]
                             [--tls-cert F --tls-key F [--client-ca F]] [--allow-remote]

serve: the KBS with its attestation service (built in, or remote with type = "coco_as_grpc").
serve-as: the attestation service and RVPS alone, over gRPC (upstream's attestation.proto and
reference.proto) on --host:--port (default 127.0.0.1:${DEFAULT_AS_PORT}), for KBSs in coco_as_grpc mode.
Like upstream's, that interface has no authentication of its own: a non-loopback --host needs mutual
TLS (--client-ca: callers must present a certificate from that CA) or --allow-remote.

${TRUSTEE_FLAGS_HELP}

Without a config file: 127.0.0.1:8080, SQLite and the admin key pair in the data dir (see docs/configuration.md).`;

function buildInfo() {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return { version: pkg.version, gitHash: process.env.COCO_GIT_HASH ?? 'unknown', buildDate: process.env.COCO_BUILD_DATE ?? 'unknown' };
}

function describeStorage(s: TrusteeConfig['storage']): string {
  if (s.type === 'sqlite') return `SQLite ${s.path}`;
  if (s.type === 'postgres') return `PostgreSQL ${s.connectionString.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')}`;
  return 'in memory (not durable)';
}

/** The startup text; writes the admin token file when there is one. */
function announce(config: TrusteeConfig, url: string, adminToken: string | undefined, extra: string[]): void {
  const lines = [
    `Trustee listening on ${url}  (KBS API under ${url}/kbs/v0, metrics ${url}/metrics)`,
    `config:           ${config.source ?? '(embedded defaults)'}`,
    `storage:          ${describeStorage(config.storage)}${JSON.stringify(config.sessionStorage) === JSON.stringify(config.storage) ? '' : `; sessions: ${describeStorage(config.sessionStorage)}`}`,
    `admin:            ${config.admin.mode}`,
    ...extra,
  ];
  if (adminToken) {
    const tokenPath = join(config.dataDir, 'admin-token');
    writeFileSync(tokenPath, adminToken, { mode: 0o600 });
    chmodSync(tokenPath, 0o600);
    lines.push(
      `admin key pair:   ${join(config.dataDir, 'admin-key.pem')} (private), ${join(config.dataDir, 'admin-key.pub.pem')} (public)`,
      `admin token:      ${tokenPath}  (EdDSA JWT, valid 12 h, re-minted at each start)`,
      '',
      'try it:',
      `  coco resource set default/demo/key --file secret.txt --kbs ${url}`,
      `  coco resource list --kbs ${url}`,
      `  coco audit list --outcome failure --kbs ${url}`,
    );
  }
  lines.push('', 'The default resource policy refuses the sample (non-TEE) attester; Ctrl-C stops Trustee.');
  console.log(lines.join('\n'));
}

function stopSignal(): Promise<string> {
  return new Promise((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}

/** A cluster worker: serve until the primary disconnects or sends SIGTERM, then exit (the IPC channel would keep us alive). */
async function serveWorker(config: TrusteeConfig): Promise<never> {
  try {
    const running = await runTrusteeWorker(config, { policyEngine: await loadPolicyEngine(), build: buildInfo() });
    // Ctrl-C reaches the whole process group: the primary decides, the workers ignore SIGINT.
    process.on('SIGINT', () => {});
    await new Promise<void>((done) => {
      process.on('SIGTERM', () => done());
      process.on('disconnect', () => done());
    });
    await running.close();
    process.exit(EXIT.ok);
  } catch (err) {
    console.error(`coco trustee (worker ${cluster.worker?.id}): ${(err as Error).message}`);
    process.exit(isCocoError(err) && err.code === 'ERR_CONFIG' ? EXIT.usage : EXIT.failure);
  }
}

/** The primary of `workers` processes; exits non-zero if one of them dies (a supervisor restarts us). */
async function servePrimary(config: TrusteeConfig, workers: number): Promise<number> {
  const c = await runTrusteeCluster(config, workers);
  announce(config, c.url, c.adminToken, [`workers:          ${workers} processes (pids ${c.workers.map((w) => w.pid).join(', ')})`]);
  const lost = await Promise.race([stopSignal().then(() => undefined), c.workerLost]);
  await c.close();
  if (lost === undefined) return EXIT.ok;
  console.error(`coco trustee: ${lost}; stopped the other workers`);
  return EXIT.unavailable;
}

async function serve(args: string[]): Promise<number> {
  const parsed = parseTrusteeArgs(args);
  if (parsed.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const config = loadConfig({ ...(parsed.file !== undefined ? { file: parsed.file } : {}), env: process.env, overrides: parsed.overrides });
  if (cluster.isWorker) return serveWorker(config);
  const workers = workerCountOf(config);
  if (workers > 1) return servePrimary(config, workers);
  const running = await runTrustee(config, { policyEngine: await loadPolicyEngine(), build: buildInfo() });
  announce(config, running.listening.url, running.adminToken, []);
  await stopSignal();
  await running.close();
  return EXIT.ok;
}

/** `serve-as`: the gRPC attestation service until SIGINT/SIGTERM. */
/** `serve-as`'s own flags (`--allow-remote`, `--tls-cert F`, `--tls-key F`, `--client-ca F`), and the rest for parseTrusteeArgs. */
function splitServeAsArgs(args: string[]): { allowRemote: boolean; files: Record<'tls-cert' | 'tls-key' | 'client-ca', string | undefined>; rest: string[] } {
  const files: Record<'tls-cert' | 'tls-key' | 'client-ca', string | undefined> = { 'tls-cert': undefined, 'tls-key': undefined, 'client-ca': undefined };
  const rest: string[] = [];
  let allowRemote = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.replace(/^--/, '').split('=')[0]!;
    if (a === '--allow-remote') allowRemote = true;
    else if (a.startsWith('--') && name in files) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[++i];
      if (value === undefined || value === '') throw new ConfigError(`--${name} needs a file`, { key: `--${name}` });
      files[name as keyof typeof files] = value;
    } else rest.push(a);
  }
  return { allowRemote, files, rest };
}

async function serveAs(args: string[]): Promise<number> {
  const { allowRemote, files, rest } = splitServeAsArgs(args);
  if ((files['tls-cert'] === undefined) !== (files['tls-key'] === undefined)) throw new ConfigError('--tls-cert and --tls-key go together', { key: '--tls-cert' });
  if (files['client-ca'] !== undefined && files['tls-cert'] === undefined) throw new ConfigError('--client-ca needs --tls-cert and --tls-key (mutual TLS)', { key: '--client-ca' });
  const tls = files['tls-cert'] !== undefined
    ? {
        cert: readText(files['tls-cert'], '--tls-cert'),
        key: readText(files['tls-key']!, '--tls-key'),
        ...(files['client-ca'] !== undefined ? { clientCa: readText(files['client-ca'], '--client-ca') } : {}),
      }
    : undefined;
  const parsed = parseTrusteeArgs(rest);
  if (parsed.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { host, port, ...overrides } = parsed.overrides;
  const config = loadConfig({ ...(parsed.file !== undefined ? { file: parsed.file } : {}), env: process.env, overrides });
  const running = await runAsServer(config, { ...(host !== undefined ? { host } : {}), port: port ?? DEFAULT_AS_PORT, allowRemote, ...(tls ? { tls } : {}) }, { policyEngine: await loadPolicyEngine() });
  const signer = config.attestationService.tokenBroker.signer;
  console.log(
    [
      `attestation service (gRPC) listening on ${running.url}`,
      `  services:  attestation.AttestationService, reference.ReferenceValueProviderService`,
      `  config:    ${config.source ?? '(embedded defaults)'}`,
      `  storage:   ${describeStorage(config.storage)}`,
      `  signer:    ${signer ? signer.keyPath : 'a fresh P-256 key (set attestation_token_broker.signer so that KBSs can trust it)'}`,
      `  transport: ${tls ? (tls.clientCa ? `mutual TLS (client certificates from ${files['client-ca']})` : 'TLS (no client authentication)') : 'cleartext HTTP/2'}`,
      '',
      `a KBS uses it with: [attestation_service] type = "coco_as_grpc", as_addr = "${running.url}"`,
    ].join('\n'),
  );
  await stopSignal();
  await running.close();
  return EXIT.ok;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'serve' && sub !== 'serve-as') {
    console.error(USAGE);
    return sub === undefined || sub === '--help' || sub === '-h' ? EXIT.ok : EXIT.usage;
  }
  try {
    if (sub === 'serve-as') return await serveAs(rest);
    return await serve(rest);
  } catch (err) {
    if (cluster.isWorker) {
      // A worker that cannot even load its config: exit, or the IPC channel keeps it alive.
      console.error(`coco trustee (worker ${cluster.worker?.id}): ${(err as Error).message}`);
      process.exit(EXIT.failure);
    }
    console.error(`coco trustee: ${isCocoError(err) ? err.message : (err as Error).message}`);
    if (isCocoError(err) && err.code === 'ERR_UNAVAILABLE') return EXIT.unavailable;
    return isCocoError(err) && err.code === 'ERR_CONFIG' ? EXIT.usage : EXIT.failure;
  }
}
