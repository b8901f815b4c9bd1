/**
 * Demo, trusted side: Trustee on the embedded SQLite store behind an admin bearer key, and the
 * admin calls the demo makes (resource policy, reference values, resources).
 * @module
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearerKeyAdmin, createTrustee, listen, loadPolicyEngine, openStore } from '../../src/trustee/index.js';

export interface DemoTrustee {
  url: string;
  /** File holding a short-lived admin JWT (what `coco key create --token-file` reads). */
  adminTokenFile: string;
  admin(method: 'POST' | 'GET', path: string, body: unknown): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/** Mint an ES256 admin JWT (`sub`, `role: admin`, one hour) with the demo admin key. */
function mintAdminToken(key: Parameters<typeof sign>[2]): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'ES256', typ: 'JWT' })}.${b64({ iss: 'coco-demo', sub: 'demo-admin', role: 'admin', iat: now, exp: now + 3600 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: key as never, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

export async function startDemoTrustee(workDir: string): Promise<DemoTrustee> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const store = await openStore({ type: 'sqlite', path: join(workDir, 'trustee.sqlite') });
  const trustee = await createTrustee({ store, policyEngine: await loadPolicyEngine(), admin: bearerKeyAdmin(publicKey), verboseErrors: true });
  const server = await listen(trustee, { host: '127.0.0.1', port: 0 });
  const token = mintAdminToken(privateKey);
  const adminTokenFile = join(workDir, 'admin-token.jwt');
  writeFileSync(adminTokenFile, token, { mode: 0o600 });
  return {
    url: server.url,
    adminTokenFile,
    async admin(method, path, body) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, text: await res.text() };
    },
    async close() {
      await server.close();
      await trustee.close();
    },
  };
}

/**
 * The demo's resource policy: release a resource only to a guest whose attestation was affirming
 * (measurements match the reference values) and whose init-data is the one the owners agreed on.
 */
export function demoResourcePolicy(expectedInitData: string): string {
  return `package policy
import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
	input.submods.cpu0["ear.status"] == "affirming"
	input.submods.cpu0["ear.veraison.annotated-evidence"].init_data == ${JSON.stringify(expectedInitData)}
}
`;
}

/** An RVPS `sample` message (`{name: [values]}`, base64 JSON payload). */
export function referenceValueMessage(values: Record<string, unknown>): Record<string, unknown> {
  return { version: '0.1.0', type: 'sample', payload: Buffer.from(JSON.stringify(values)).toString('base64') };
}
