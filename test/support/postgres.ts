/**
 * Starts a real, throw-away PostgreSQL server for tests (one per test file): `initdb` in a temp dir,
 * `pg_ctl start` on a free 127.0.0.1 port, trust auth for user `kbs`. As root the server runs as the
 * `postgres` user (PostgreSQL refuses root). Skip with `postgresSkip()` when the tools are absent.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, requireTools } from './system-tools.js';

export interface PostgresServer {
  port: number;
  /** Connection string for database `postgres` as user `kbs`. */
  connectionString: string;
  stop(): Promise<void>;
}

/** The `skip` option for tests that need PostgreSQL. */
export function postgresSkip(): false | string {
  return requireTools('initdb', 'pg_ctl', 'postgres');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('running as root but there is no postgres user to run the server');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function runAs(owner: { uid: number; gid: number } | undefined, cmd: string, args: string[]): void {
  const r = owner
    ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' })
    : spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

/** Start a fresh server; call `stop()` in `after()`. */
export async function startPostgres(): Promise<PostgresServer> {
  const initdb = findTool('initdb');
  const pgCtl = findTool('pg_ctl');
  if (!initdb || !pgCtl) throw new Error('initdb/pg_ctl not found');
  const owner = postgresUid();
  const root = mkdtempSync(join(tmpdir(), 'coco-pg-'));
  chmodSync(root, 0o755);
  if (owner) chownSync(root, owner.uid, owner.gid);
  const data = join(root, 'data');
  runAs(owner, initdb, ['-D', data, '-A', 'trust', '-U', 'kbs', '-E', 'UTF8', '--no-sync']);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=60`;
    try {
      runAs(owner, pgCtl, ['-D', data, '-o', opts, '-l', join(root, 'pg.log'), '-w', '-t', '30', 'start']);
    } catch (e) {
      lastError = e;
      continue;
    }
    let stopped = false;
    return {
      port,
      connectionString: `postgres://kbs@127.0.0.1:${port}/postgres`,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          runAs(owner, pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      },
    };
  }
  rmSync(root, { recursive: true, force: true });
  throw lastError;
}
