/**
 * Shared plumbing of the admin commands (`coco resource|policy|reference-value|audit`): the
 * `--kbs`, `--token`, `--key`, `--data-dir`, `--json` options, admin token resolution, error to
 * exit code mapping, and output.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isCocoError } from '../core/index.js';
import { ADMIN_PRIVATE_KEY_FILE, mintAdminToken, readPem } from '../trustee/index.js';
import { createKbsAdminClient, type KbsAdminClient } from './kbs-admin-client.js';
import { EXIT } from './main.js';

export const DEFAULT_KBS = 'http://127.0.0.1:8080';

export const COMMON_OPTIONS = {
  kbs: { type: 'string' },
  token: { type: 'string' },
  key: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `common options:
  --kbs URL          KBS base URL (default ${DEFAULT_KBS}, env COCO_KBS_URL)
  --token FILE       file holding an admin JWT (env COCO_ADMIN_TOKEN holds the JWT itself)
  --key FILE         Ed25519/EC private key PEM: mint a 5-minute admin token per run
  --data-dir DIR     use DIR/${ADMIN_PRIVATE_KEY_FILE} when neither --token nor --key is given (default ./data)
  --json             machine-readable output`;

/** Where the admin commands write (replaceable by tests; the test runner owns process.stdout). */
export const io = {
  out: (data: string | Uint8Array): void => void process.stdout.write(data),
  log: (text: string): void => console.log(text),
  err: (text: string): void => console.error(text),
};

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {}

export interface CommonValues {
  kbs?: string | undefined;
  token?: string | undefined;
  key?: string | undefined;
  'data-dir'?: string | undefined;
  json?: boolean | undefined;
}

/** Parse argv with the common options plus `extra`; unknown options are usage errors. */
export function parseCommand<O extends ParseArgsConfig['options']>(args: string[], extra: O) {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...extra }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Where the admin token comes from: --token file, env, --key, or the data dir's key. */
export function tokenSource(v: CommonValues, env = process.env): () => Promise<string | undefined> {
  if (v.token) {
    const t = readFileSync(v.token, 'utf8').trim();
    return async () => t;
  }
  if (env.COCO_ADMIN_TOKEN) {
    const t = env.COCO_ADMIN_TOKEN.trim();
    return async () => t;
  }
  const keyPath = v.key ?? join(v['data-dir'] ?? 'data', ADMIN_PRIVATE_KEY_FILE);
  if (!v.key && !existsSync(keyPath)) return async () => undefined;
  const pem = readPem(keyPath);
  let cached: Promise<string> | undefined;
  return () => (cached ??= mintAdminToken(pem, { role: 'admin', ttlSec: 300 }));
}

export function clientFrom(v: CommonValues, env = process.env, fetchImpl?: typeof globalThis.fetch): KbsAdminClient {
  return createKbsAdminClient({
    url: v.kbs ?? env.COCO_KBS_URL ?? DEFAULT_KBS,
    token: tokenSource(v, env),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

/** Print a result: JSON with --json, else the human text. */
export function output(json: boolean | undefined, value: unknown, human: () => string): void {
  io.log(json ? JSON.stringify(value, null, 2) : human());
}

/** Run a command body, mapping errors to exit codes (2 usage, 3 not found, 4 denied, 5 unavailable, 1 other). */
export async function runCommand(name: string, help: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`coco ${name}: ${e.message}\n\n${help}`);
      return EXIT.usage;
    }
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`coco ${name}: ${msg}`);
    if (!isCocoError(e)) return (e as NodeJS.ErrnoException)?.code === 'ENOENT' ? EXIT.usage : EXIT.failure;
    switch (e.code) {
      case 'ERR_NOT_FOUND':
        return EXIT.notFound;
      case 'ERR_UNAUTHORIZED':
      case 'ERR_POLICY_DENIED':
        return EXIT.denied;
      case 'ERR_UNAVAILABLE':
        return EXIT.unavailable;
      case 'ERR_MALFORMED_INPUT':
      case 'ERR_CONFIG':
        return EXIT.failure;
      default:
        return EXIT.failure;
    }
  }
}
