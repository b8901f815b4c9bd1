/**
 * A throwaway CA and a server certificate for 127.0.0.1, made with the openssl CLI (tests only).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  caPem: string;
  certPem: string;
  keyPem: string;
  /** A client certificate (extendedKeyUsage clientAuth, CN `coco test client`) and its key, from the same CA. */
  clientCertPem: string;
  clientKeyPem: string;
}

/** Generate a P-256 CA, a server leaf for IP 127.0.0.1 and a client leaf, both signed by it. */
export function makeTestCa(): TestCa {
  const d = mkdtempSync(join(tmpdir(), 'coco-ca-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  try {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=coco test CA');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    ossl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'cli.key', '-out', 'cli.csr', '-subj', '/CN=coco test client');
    writeFileSync(join(d, 'cli.cnf'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    ossl('x509', '-req', '-in', 'cli.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cli.pem', '-days', '2', '-extfile', 'cli.cnf');
    const text = (f: string) => readFileSync(join(d, f), 'utf8');
    return { caPem: text('ca.pem'), certPem: text('srv.pem'), keyPem: text('srv.key'), clientCertPem: text('cli.pem'), clientKeyPem: text('cli.key') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
