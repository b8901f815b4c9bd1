/**
 * A throw-away self-signed server certificate for 127.0.0.1 made with the `openssl` CLI (Node has no
 * X.509 writer). Skip with `requireTools('openssl')`.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export function makeSelfSignedCert(dir: string, name = 'server'): { keyPath: string; certPath: string } {
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.cert.pem`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { keyPath, certPath };
}
