/**
 * Runs `coco trustee serve` (or `serve-as`) as a real child process (for multi-replica and restart tests): waits
 * for its "listening on <url>" line, keeps its output for failure messages, and stops it with
 * SIGTERM (SIGKILL after a grace period).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';

export interface TrusteeProcess {
  url: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** `coco trustee <command> ...args` (`serve`, or `serve-as` for the gRPC attestation service). */
export async function startTrusteeProcess(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000, command: 'serve' | 'serve-as' = 'serve'): Promise<TrusteeProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'coco.mjs'), 'trustee', command, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`trustee did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /listening on (https?:\/\/[^\s)]+)/i.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace(/\/+$/, ''));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trustee exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
