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
}

/** Generate a P-256 CA and a leaf for IP 127.0.0.1 signed by it. */
export function makeTestCa(): TestCa {
  const d = mkdtempSync(join(tmpdir(), 'coco-ca-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: d, stdio: 'pipe' });
  try {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=coco test CA');
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(d, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    ossl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf');
    return { caPem: readFileSync(join(d, 'ca.pem'), 'utf8'), certPem: readFileSync(join(d, 'srv.pem'), 'utf8'), keyPem: readFileSync(join(d, 'srv.key'), 'utf8') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
