/**
 * The confidential data hub: resources by URI, sealed secrets, and credentials provisioned at
 * start (`[[credentials]]` of cdh.toml: a resource written to a file under
 * /run/confidential-containers/cdh/kbs, atomically and mode 0600).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { ConfigError } from '../../core/index.js';
import type { ResourceSource } from './kms-kbs.js';
import { unsealSecret } from './sealed-secret.js';

/** Upstream's required prefix for credential paths. */
export const CREDENTIALS_ROOT = '/run/confidential-containers/cdh/kbs';

export interface Credential {
  resourceUri: string;
  path: string;
}

export interface CdhOptions {
  kbs: ResourceSource;
  skipSealedSecretVerification?: boolean;
  sealedSecretKeyDir?: string;
  credentials?: readonly Credential[];
  credentialsRoot?: string;
}

/** Check a credential path stays inside `root` (no `.`/`..` segments, absolute). */
export function checkCredentialPath(path: string, root = CREDENTIALS_ROOT): string {
  if (!isAbsolute(path) || path.split('/').some((s) => s === '.' || s === '..')) throw new ConfigError(`credential path ${JSON.stringify(path)} must be absolute without . or ..`, { key: 'credentials.path' });
  const rel = relative(root, normalize(path));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new ConfigError(`credential path ${JSON.stringify(path)} must be under ${root}`, { key: 'credentials.path' });
  return normalize(path);
}

/** Write `data` to `path` atomically: a temp file in the same directory, then rename. */
export async function writeFileAtomic(path: string, data: Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class ConfidentialDataHub {
  private readonly opts: CdhOptions;
  constructor(opts: CdhOptions) {
    this.opts = opts;
    for (const c of opts.credentials ?? []) checkCredentialPath(c.path, opts.credentialsRoot);
  }

  /** A resource by URI (`kbs:///repo/type/tag`). */
  getResource(uri: string): Promise<Uint8Array> {
    return this.opts.kbs.getResource(uri);
  }

  /** Unseal a `sealed.…` secret. */
  unsealSecret(text: string): Promise<Uint8Array> {
    return unsealSecret(text, { kbs: this.opts.kbs, skipVerification: this.opts.skipSealedSecretVerification, keyDir: this.opts.sealedSecretKeyDir });
  }

  /** Fetch every configured credential and write it to its path (mode 0600). */
  async provisionCredentials(): Promise<string[]> {
    const written: string[] = [];
    for (const c of this.opts.credentials ?? []) {
      await writeFileAtomic(checkCredentialPath(c.path, this.opts.credentialsRoot), await this.getResource(c.resourceUri), 0o600);
      written.push(c.path);
    }
    return written;
  }
}
