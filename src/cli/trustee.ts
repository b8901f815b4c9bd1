/**
 * `coco trustee serve [-c|--config kbs-config.toml] [--host H] [--port N] [--data-dir DIR]` —
 * runs Trustee (KBS + built-in AS + RVPS). `npm start` runs it on 127.0.0.1:8080 with its data in
 * `./data`, where an Ed25519 admin key pair and a short-lived admin token are generated.
 * @module
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isCocoError, parseToml, toBase64Url, utf8 } from '../core/index.js';
import { MemoryStore, bearerKeyAdmin, createTrustee, listen, loadPolicyEngine, serveSettingsFromConfig } from '../trustee/index.js';
import { EXIT } from './main.js';

export const summary = 'run Trustee (KBS, attestation service, RVPS): coco trustee serve [-c kbs-config.toml] [--port N] [--data-dir DIR]';

const USAGE = `usage: coco trustee serve [-c|--config kbs-config.toml] [--host H] [--port N] [--data-dir DIR]

  -c, --config    upstream-style kbs-config.toml (http_server, attestation_token, attestation_service, kbs)
  --host, --port  listen address (default 127.0.0.1:8080, or the config's http_server.sockets)
  --data-dir      where Trustee keeps its admin key pair and data (default ./data)`;

/** Load or create the Ed25519 admin key pair in `dir`. */
function adminKeyPair(dir: string): { privateKey: KeyObject; publicKey: KeyObject; privatePath: string; publicPath: string } {
  const privatePath = join(dir, 'admin-key.pem');
  const publicPath = join(dir, 'admin-key.pub.pem');
  if (!existsSync(privatePath)) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  const privateKey = createPrivateKey(readFileSync(privatePath));
  return { privateKey, publicKey: createPublicKey(privateKey), privatePath, publicPath };
}

/** An EdDSA admin JWT (`sub`/`role` admin) valid for `hours`. */
function mintAdminToken(privateKey: KeyObject, hours: number): string {
  const iat = Math.floor(Date.now() / 1000);
  const enc = (o: unknown) => toBase64Url(utf8(JSON.stringify(o)));
  const input = `${enc({ alg: 'EdDSA', typ: 'JWT' })}.${enc({ iss: 'coco-trustee-local', sub: 'admin', role: 'admin', iat, exp: iat + hours * 3600 })}`;
  return `${input}.${toBase64Url(new Uint8Array(sign(null, Buffer.from(input), privateKey)))}`;
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const dataDir = resolve(values['data-dir'] ?? 'data');
  mkdirSync(dataDir, { recursive: true });
  const doc = values.config ? parseToml(readFileSync(values.config, 'utf8'), values.config) : {};
  const settings = serveSettingsFromConfig(doc, (p) => readFileSync(p, 'utf8'));
  const host = values.host ?? settings.host;
  const port = values.port !== undefined ? Number(values.port) : settings.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`coco trustee: --port must be 0..65535\n${USAGE}`);
    return EXIT.usage;
  }
  const keys = adminKeyPair(dataDir);
  const tokenPath = join(dataDir, 'admin-token');
  writeFileSync(tokenPath, mintAdminToken(keys.privateKey, 12), { mode: 0o600 });
  chmodSync(tokenPath, 0o600);
  const trustee = await createTrustee({
    ...settings.options,
    store: new MemoryStore(),
    policyEngine: await loadPolicyEngine(),
    admin: bearerKeyAdmin(keys.publicKey),
  });
  const server = await listen(trustee, { host, port, bodyLimitBytes: settings.bodyLimitBytes });
  console.log(
    [
      `Trustee listening on ${server.url}  (KBS API under ${server.url}/kbs/v0, metrics ${server.url}/metrics)`,
      `data directory:   ${dataDir}  (storage: in-memory until the SQLite backend is wired)`,
      `admin key pair:   ${keys.privatePath} (private), ${keys.publicPath} (public)`,
      `admin token:      ${tokenPath}  (EdDSA JWT, valid 12 h, re-minted at each start)`,
      '',
      'try it:',
      `  curl -s -H "Authorization: Bearer $(cat ${tokenPath})" ${server.url}/kbs/v0/resource`,
      `  curl -s -X POST -H "Authorization: Bearer $(cat ${tokenPath})" --data-binary @secret.txt ${server.url}/kbs/v0/resource/default/demo/key`,
      `  curl -s -H "Authorization: Bearer $(cat ${tokenPath})" "${server.url}/kbs/v0/audit?limit=10&outcome=denied"`,
      '',
      'The default resource policy refuses the sample (non-TEE) attester; Ctrl-C stops Trustee.',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
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
    return isCocoError(err) && err.code === 'ERR_UNAVAILABLE' ? EXIT.unavailable : EXIT.failure;
  }
}
