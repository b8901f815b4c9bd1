/**
 * `coco secret keygen|seal|unseal`: CoCo sealed secrets (`sealed.` + ES256 JWS, payload version
 * 0.1.0, `vault` or `envelope`), wire-compatible with upstream's `secret` tool and our CDH.
 * The format itself lives in protocol/sealed-secret.ts; this file is options, files and output.
 * @module
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { ConfigError, MalformedInput, fromBase64, isCocoError, parseJsonText, publicJwkOf, toBase64Url } from '../core/index.js';
import { parseDataKey } from '../data/index.js';
import {
  SEALED_SECRET_VERSION,
  createKbsEnvelope,
  openEnvelope,
  parseResourceUri,
  parseSealedSecret,
  parseSigningJwk,
  secretPayloadJson,
  signSealedSecret,
  signingKeyFromJwk,
  unwrapDataKey,
  verifySealedSecret,
  type SecretPayload,
} from '../protocol/index.js';

export const summary = 'generate signing keys, seal and unseal CoCo sealed secrets';

const USAGE = `usage:
  coco secret keygen --kid KID [--output-dir DIR]
      writes <name>-private.json (0600) and <name>-public.json (P-256 JWKs); upload the public one
      to Trustee (e.g. coco key create ... or coco resource set) when KID is a kbs:/// URI
  coco secret seal vault --resource-uri kbs:///repo/type/tag --signing-kid KID --signing-jwk-path FILE
  coco secret seal envelope --key-id kbs:///repo/type/tag --kek-file FILE (--in FILE | --value TEXT)
                            [--wrap-type A256GCM|A256CTR] --signing-kid KID --signing-jwk-path FILE
      seal options: [--k8s-secret NAME --secret-key KEY [--namespace NS]] prints a Secret manifest
  coco secret unseal (--in FILE | --value TEXT) --jwk PUBLIC.json [--kek-file FILE]
      verifies offline and prints the payload (and an envelope's plaintext with --kek-file);
      vault secrets are resolved by the CDH inside the TEE`;

const OPTIONS = {
  kid: { type: 'string' },
  'output-dir': { type: 'string' },
  'resource-uri': { type: 'string' },
  'key-id': { type: 'string' },
  'kek-file': { type: 'string' },
  in: { type: 'string' },
  value: { type: 'string' },
  'wrap-type': { type: 'string' },
  'signing-kid': { type: 'string' },
  'signing-jwk-path': { type: 'string' },
  'k8s-secret': { type: 'string' },
  'secret-key': { type: 'string' },
  namespace: { type: 'string' },
  jwk: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** Where results go; tests pass their own. */
export interface SecretIo {
  write(data: string | Uint8Array): void;
}
const stdoutIo: SecretIo = { write: (d) => void process.stdout.write(d) };

export async function run(args: string[], io: SecretIo = stdoutIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    console.error(`coco secret: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals: [sub, kind, ...extra] } = parsed;
  if (v.help || !sub || extra.length > 0) {
    console.error(USAGE);
    return v.help ? 0 : 2;
  }
  try {
    if (sub === 'keygen') return await keygen(v);
    if (sub === 'seal' && (kind === 'vault' || kind === 'envelope')) return await seal(kind, v, io);
    if (sub === 'unseal') return await unseal(v, io);
    console.error(USAGE);
    return 2;
  } catch (err) {
    if (!isCocoError(err) && !(err as NodeJS.ErrnoException).code) throw err;
    console.error(`coco secret ${sub}: ${(err as Error).message}`);
    return 1;
  }
}

/** A P-256 key pair as JWKs, without `KeyObject.export({format:'jwk'})` (Node 20 EC deadlock). */
export function generateSigningJwks(kid: string): { privateJwk: Record<string, string>; publicJwk: Record<string, string> } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = publicJwkOf(privateKey);
  if (pub.kty !== 'EC') throw new TypeError('expected an EC key');
  const publicJwk = { kty: 'EC', crv: 'P-256', x: pub.x, y: pub.y, alg: 'ES256', use: 'sig', kid };
  return { privateJwk: { ...publicJwk, d: toBase64Url(privateScalar(privateKey)) }, publicJwk };
}

/** The 32-byte scalar from SEC1 DER: SEQUENCE { INTEGER 1, OCTET STRING(32) d, … } (RFC 5915 §3). */
function privateScalar(key: KeyObject): Uint8Array {
  const der = new Uint8Array(key.export({ type: 'sec1', format: 'der' }));
  const at = der[1]! & 0x80 ? 3 + (der[1]! & 0x7f) : 2; // skip the SEQUENCE header
  if (der[at] !== 0x02 || der[at + 1] !== 0x01 || der[at + 2] !== 0x01 || der[at + 3] !== 0x04 || der[at + 4] !== 0x20) {
    throw new TypeError('unexpected SEC1 encoding of a P-256 key');
  }
  return der.subarray(at + 5, at + 37);
}

async function keygen(v: Values): Promise<number> {
  if (!v.kid) throw new ConfigError('--kid is required', { key: 'kid' });
  const name = v.kid.replace(/^kbs:\/\/[^/]*\//, '').replace(/[^A-Za-z0-9_.-]/g, '_');
  const dir = v['output-dir'] ?? '.';
  const { privateJwk, publicJwk } = generateSigningJwks(v.kid);
  await writeFile(join(dir, `${name}-private.json`), `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await writeFile(join(dir, `${name}-public.json`), `${JSON.stringify(publicJwk, null, 2)}\n`, { flag: 'wx' });
  console.error(`wrote ${join(dir, `${name}-private.json`)} (keep it secret) and ${join(dir, `${name}-public.json`)}`);
  return 0;
}

async function seal(kind: 'vault' | 'envelope', v: Values, io: SecretIo): Promise<number> {
  if (!v['signing-kid'] || !v['signing-jwk-path']) throw new ConfigError('--signing-kid and --signing-jwk-path are required', { key: 'signing-kid' });
  const signingKey = signingKeyFromJwk(parseJsonText(await readFile(v['signing-jwk-path'], 'utf8'), 'signing jwk'));
  let payload: SecretPayload;
  if (kind === 'vault') {
    const uri = v['resource-uri'];
    if (!uri) throw new ConfigError('--resource-uri is required for a vault secret', { key: 'resource-uri' });
    parseResourceUri(uri);
    payload = { version: SEALED_SECRET_VERSION, type: 'vault', name: uri, provider: 'kbs', provider_settings: {}, annotations: {} };
  } else {
    const keyId = v['key-id'];
    if (!keyId || !v['kek-file']) throw new ConfigError('--key-id and --kek-file are required for an envelope secret', { key: 'key-id' });
    parseResourceUri(keyId);
    const wrap = (v['wrap-type'] ?? 'A256GCM') as 'A256GCM' | 'A256CTR';
    if (wrap !== 'A256GCM' && wrap !== 'A256CTR') throw new ConfigError('--wrap-type must be A256GCM or A256CTR', { key: 'wrap-type' });
    payload = createKbsEnvelope(await plaintextOf(v), keyId, await readKek(v['kek-file']), wrap);
  }
  const sealed = signSealedSecret(payload, signingKey, v['signing-kid']);
  if (v['k8s-secret']) {
    if (!v['secret-key']) throw new ConfigError('--secret-key names the key inside the Secret', { key: 'secret-key' });
    const metadata: Record<string, string> = { name: v['k8s-secret'] };
    if (v.namespace) metadata.namespace = v.namespace;
    io.write(toYaml({ apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', stringData: { [v['secret-key']]: sealed } }, { lineWidth: 0 }));
  } else io.write(`${sealed}\n`);
  return 0;
}

async function unseal(v: Values, io: SecretIo): Promise<number> {
  if (!v.jwk) throw new ConfigError('--jwk (the public verification key) is required', { key: 'jwk' });
  const text = v.value ?? (v.in ? await readFile(v.in, 'utf8') : undefined);
  if (text === undefined) throw new ConfigError('--in FILE or --value TEXT is required', { key: 'in' });
  const payload = verifySealedSecret(parseSealedSecret(text.trim()), parseSigningJwk(parseJsonText(await readFile(v.jwk, 'utf8'), 'jwk')));
  if (payload.type === 'envelope' && v['kek-file']) {
    const dek = unwrapDataKey(await readKek(v['kek-file']), fromBase64(payload.encrypted_key, 'secret.encrypted_key'));
    io.write(openEnvelope(payload, dek));
    return 0;
  }
  io.write(`${JSON.stringify(secretPayloadJson(payload), null, 2)}\n`);
  return 0;
}

async function plaintextOf(v: Values): Promise<Uint8Array> {
  if (v.value !== undefined) return new TextEncoder().encode(v.value);
  if (v.in) return new Uint8Array(await readFile(v.in));
  throw new ConfigError('--in FILE or --value TEXT is required for an envelope secret', { key: 'in' });
}

async function readKek(path: string): Promise<Uint8Array> {
  const kek = parseDataKey(new Uint8Array(await readFile(path)));
  if (!kek) throw new MalformedInput(`${path}: not a 32-byte key-encryption key`, { where: 'kek-file' });
  return kek;
}

