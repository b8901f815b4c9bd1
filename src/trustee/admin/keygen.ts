/**
 * Admin key material: Ed25519 PKCS#8/SPKI PEM key pairs (as upstream `trustee-cli keygen`) and admin
 * JWT minting. The embedded default keeps its pair in the data dir as `admin-key.pem` and
 * `admin-key.pub.pem`.
 * @module
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, signJwt } from '../../core/index.js';

export const ADMIN_PRIVATE_KEY_FILE = 'admin-key.pem';
export const ADMIN_PUBLIC_KEY_FILE = 'admin-key.pub.pem';

export interface AdminKeyPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

/** Write a new Ed25519 key pair to `dir` (private key mode 0600); refuses to overwrite unless `force`. */
export function generateAdminKeyPair(dir: string, options: { force?: boolean } = {}): AdminKeyPaths {
  const privateKeyPath = join(dir, ADMIN_PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, ADMIN_PUBLIC_KEY_FILE);
  if (!options.force && (existsSync(privateKeyPath) || existsSync(publicKeyPath))) {
    throw new ConfigError(`${privateKeyPath} or ${publicKeyPath} already exists (use --force to replace)`, { key: 'admin key' });
  }
  mkdirSync(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(privateKeyPath, 0o600);
  writeFileSync(publicKeyPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return { privateKeyPath, publicKeyPath };
}

/** Create the data dir's admin key pair if it does not exist yet; returns the paths and whether it was created. */
export function ensureAdminKeyPair(dataDir: string): AdminKeyPaths & { created: boolean } {
  const privateKeyPath = join(dataDir, ADMIN_PRIVATE_KEY_FILE);
  const publicKeyPath = join(dataDir, ADMIN_PUBLIC_KEY_FILE);
  if (existsSync(privateKeyPath) && existsSync(publicKeyPath)) return { privateKeyPath, publicKeyPath, created: false };
  if (existsSync(privateKeyPath) !== existsSync(publicKeyPath)) {
    throw new ConfigError(`only one of ${privateKeyPath} and ${publicKeyPath} exists; remove it or restore the other`, { key: 'admin key' });
  }
  return { ...generateAdminKeyPair(dataDir), created: true };
}

export interface MintOptions {
  role?: string;
  ttlSec?: number;
  issuer?: string;
  audience?: string | string[];
  subject?: string;
  now?: number;
}

/** Sign an admin JWT (EdDSA for Ed25519 keys) with `role`, `iat`, `exp` and optional `iss`/`aud`/`sub`. */
export async function mintAdminToken(privateKeyPem: string, options: MintOptions = {}): Promise<string> {
  return signJwt({ role: options.role ?? 'admin' }, privateKeyPem, {
    now: options.now ?? Date.now(),
    ttlSec: options.ttlSec ?? 3600,
    subject: options.subject ?? options.role ?? 'admin',
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  });
}

/** Read a PEM file (private key) for minting. */
export function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read key ${path}: ${(cause as Error).message}`, { key: 'key', cause });
  }
}
