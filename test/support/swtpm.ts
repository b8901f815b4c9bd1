/**
 * Starts a real software TPM (swtpm) for tests: fresh state in a temp dir, raw TPM commands on a
 * TCP port P on 127.0.0.1 and its control channel on P+1 (the layout tpm2-tools' `swtpm` TCTI
 * expects), already initialised (`not-need-init,startup-clear`).
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from './system-tools.js';

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** A free port P with P+1 also free (swtpm needs explicit ports; its TCTI finds control at P+1). */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const a = (await listenOn(0))!;
    const port = (a.address() as { port: number }).port;
    const b = port < 65535 ? await listenOn(port + 1) : undefined;
    await Promise.all([a, b].map((s) => s && new Promise((r) => s.close(r))));
    if (b) return port;
  }
  throw new Error('no free port pair on 127.0.0.1');
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`swtpm did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForSocket(path: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`swtpm did not create ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A running swtpm: `spec` is what `openTpm` takes (`127.0.0.1:<port>`, or `unix:<path>` with `unix`),
 * `tcti` what tpm2-tools take (`TPM2TOOLS_TCTI`; TCP only, control channel on port+1).
 */
export async function startSwtpm(opts: { unix?: boolean } = {}): Promise<{ spec: string; tcti: string; stop: () => Promise<void> }> {
  const bin = findTool('swtpm');
  if (!bin) throw new Error('swtpm not installed');
  const dir = mkdtempSync(join(tmpdir(), 'coco-swtpm-'));
  const port = await freePortPair();
  const sock = join(dir, 'tpm.sock');
  const server = opts.unix ? `type=unixio,path=${sock}` : `type=tcp,port=${port},bindaddr=127.0.0.1`;
  const ctrl = opts.unix ? `type=unixio,path=${join(dir, 'ctrl.sock')}` : `type=tcp,port=${port + 1},bindaddr=127.0.0.1`;
  const child = spawn(
    bin,
    ['socket', '--tpm2', '--tpmstate', `dir=${dir}`, '--server', server, '--ctrl', ctrl, '--flags', 'not-need-init,startup-clear'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    if (opts.unix) await waitForSocket(sock, 5000);
    else await waitForPort(port, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return {
    spec: opts.unix ? `unix:${sock}` : `127.0.0.1:${port}`,
    tcti: `swtpm:host=127.0.0.1,port=${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await done;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
