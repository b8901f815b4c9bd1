/**
 * `coco admin keygen [--out DIR] [--force]` writes an Ed25519 PKCS#8 key pair (`admin-key.pem`,
 * `admin-key.pub.pem`); `coco admin token [--key FILE] [--role admin] [--ttl 1h]` mints an admin JWT.
 * @module
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_PRIVATE_KEY_FILE, generateAdminKeyPair, mintAdminToken, readPem } from '../trustee/index.js';
import { UsageError, io, runCommand } from './admin-common.js';

export const summary = 'admin key pairs and tokens for the KBS admin API';

const HELP = `usage:
  coco admin keygen [--out DIR] [--force]        write DIR/admin-key.pem and DIR/admin-key.pub.pem (default DIR: ./data)
  coco admin token [--key FILE] [--role admin] [--ttl 1h] [--issuer ISS] [--audience AUD] [--subject SUB]
                                                 print an admin JWT signed with FILE (default ./data/${ADMIN_PRIVATE_KEY_FILE})`;

/** Parse a duration such as `90s`, `15m`, `1h`, `2d` or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text);
  if (!m) throw new UsageError(`invalid duration ${JSON.stringify(text)} (e.g. 300, 15m, 1h, 2d)`);
  const n = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  if (n < 1 || n > 366 * 86_400) throw new UsageError('--ttl must be between 1 second and 366 days');
  return n;
}

export async function run(args: string[]): Promise<number> {
  return runCommand('admin', HELP, async () => {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          force: { type: 'boolean' },
          key: { type: 'string' },
          role: { type: 'string' },
          ttl: { type: 'string' },
          issuer: { type: 'string' },
          audience: { type: 'string' },
          subject: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const { values: v, positionals } = parsed;
    if (v.help) return (io.log(HELP), 0);
    const [sub, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
    switch (sub) {
      case 'keygen': {
        const paths = generateAdminKeyPair(v.out ?? 'data', { force: v.force === true });
        io.log(`private key: ${paths.privateKeyPath}\npublic key:  ${paths.publicKeyPath}`);
        return 0;
      }
      case 'token': {
        const pem = readPem(v.key ?? join('data', ADMIN_PRIVATE_KEY_FILE));
        const token = await mintAdminToken(pem, {
          role: v.role ?? 'admin',
          ttlSec: parseDuration(v.ttl ?? '1h'),
          ...(v.issuer !== undefined ? { issuer: v.issuer } : {}),
          ...(v.audience !== undefined ? { audience: v.audience } : {}),
          ...(v.subject !== undefined ? { subject: v.subject } : {}),
        });
        io.log(token);
        return 0;
      }
      default:
        throw new UsageError(sub ? `unknown subcommand ${JSON.stringify(sub)}` : 'missing subcommand');
    }
  });
}
