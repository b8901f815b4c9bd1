/**
 * A Trustee cluster worker for `src/trustee/cluster.test.ts`: SQLite state at the path given as the
 * first argument, sessions and signer key from the primary. Answers carry `x-test-worker` (the
 * worker id) so the test can see which worker served each request; production workers do not.
 */
import cluster from 'node:cluster';
import { receiveClusterSetup } from '../../src/trustee/cluster.js';
import { listenHttp } from '../../src/trustee/http/adapter.js';
import { insecureAllowAllAdmin } from '../../src/trustee/kbs/admin-hooks.js';
import { regoPolicyEngine } from '../../src/trustee/rego-engine.js';
import { createTrustee } from '../../src/trustee/server.js';
import { MemoryStore } from '../../src/trustee/storage/memory.js';
import { SqliteStore } from '../../src/trustee/storage/sqlite.js';

const statePath = process.argv[2]!;
const sharedSessions = process.argv[3] !== 'private-sessions';
const setup = await receiveClusterSetup();
const trustee = await createTrustee({
  store: new SqliteStore({ path: statePath }),
  sessionStore: sharedSessions ? new SqliteStore({ path: setup.sessionDbPath }) : new MemoryStore(),
  policyEngine: regoPolicyEngine,
  admin: insecureAllowAllAdmin,
  token: { signerKeyPem: setup.signerKeyPem },
});
const id = String(cluster.worker!.id);
await listenHttp(
  async (req) => {
    const res = await trustee.handle(req);
    res.headers['x-test-worker'] = id;
    return res;
  },
  { host: '127.0.0.1', port: 0, bodyLimit: 1 << 20 },
);
