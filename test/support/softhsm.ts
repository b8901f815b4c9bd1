/**
 * A throwaway SoftHSM token for tests of the `pkcs11` plugin: its own token directory and config
 * (`SOFTHSM2_CONF`, read by SoftHSM at `C_Initialize`, so set before the first token is opened in
 * this process), initialised with `softhsm2-util`, and optionally an RSA key pair imported under a
 * label (the wrap key); the private key is also returned so tests can check wrapping independently.
 * @module
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './system-tools.js';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';
export const SOFTHSM_PIN = '12345678';

/** The `skip` option for tests that need SoftHSM and the pkcs11js binding (in CI, a failure instead). */
export function requireSoftHsm(): false | string {
  const missing: string[] = [];
  if (!findTool('softhsm2-util') || !existsSync(SOFTHSM_MODULE)) missing.push('softhsm2 (apt-get install softhsm2; .ci/run installs it)');
  try {
    createRequire(import.meta.url).resolve('pkcs11js');
  } catch {
    missing.push('the pkcs11js binding (an optional dependency built by npm ci)');
  }
  if (missing.length === 0) return false;
  const msg = `needs ${missing.join(' and ')}`;
  if (process.env.CI === 'true') throw new Error(`CI must not skip: ${msg}`);
  return msg;
}

export interface SoftHsmToken {
  dir: string;
  pin: string;
  /** The private key of the imported wrap key pair, when one was asked for. */
  wrapKey?: KeyObject;
  cleanup(): void;
}

/** Initialise a fresh token (label `coco-test`) and point this process's SoftHSM at it. */
export function makeSoftHsmToken(opts: { wrapLabel?: string } = {}): SoftHsmToken {
  const dir = mkdtempSync(join(tmpdir(), 'coco-softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const util = (...args: string[]) => execFileSync('softhsm2-util', args, { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  util('--init-token', '--free', '--label', 'coco-test', '--pin', SOFTHSM_PIN, '--so-pin', '87654321');
  const out: SoftHsmToken = { dir, pin: SOFTHSM_PIN, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  if (opts.wrapLabel) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = join(dir, 'wrap.pem');
    writeFileSync(pem, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    util('--import', pem, '--token', 'coco-test', '--label', opts.wrapLabel, '--id', '0a', '--pin', SOFTHSM_PIN);
    rmSync(pem);
    out.wrapKey = privateKey;
  }
  return out;
}
