/**
 * TPM transports: the kernel resource manager device (`/dev/tpmrm0`) or a TCP / unix socket
 * speaking raw TPM commands (swtpm `socket --server type=tcp|unixio`). One command in flight at a
 * time; each response is read until the size in its header.
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { LimitExceeded, MalformedInput, Unavailable } from '../../../core/index.js';

const MAX_RESPONSE = 64 * 1024;

export interface TpmTransport {
  /** Send one command and return its whole response. */
  transmit(command: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Open `spec`: `host:port` (TCP), `unix:/path` (unix socket) or a device path. */
export async function openTpm(spec: string, timeoutMs = 30_000): Promise<TpmTransport> {
  if (spec.startsWith('unix:')) return socketTransport({ path: spec.slice(5) }, timeoutMs);
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(spec);
  if (m) return socketTransport({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }, timeoutMs);
  return deviceTransport(spec);
}

async function deviceTransport(path: string): Promise<TpmTransport> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (cause) {
    throw new Unavailable(`cannot open TPM device ${path}: ${(cause as Error).message}`, { cause });
  }
  let chain: Promise<unknown> = Promise.resolve();
  return {
    transmit(command) {
      const run = async () => {
        await fh.write(command);
        const buf = new Uint8Array(MAX_RESPONSE);
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        return buf.slice(0, bytesRead);
      };
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    close: () => fh.close(),
  };
}

function socketTransport(target: { host: string; port: number } | { path: string }, timeoutMs: number): Promise<TpmTransport> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(target as { host: string; port: number });
    sock.once('error', (err) => reject(new Unavailable(`cannot connect to TPM ${JSON.stringify(target)}: ${err.message}`, { cause: err })));
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      resolve(makeSocketTransport(sock, timeoutMs));
    });
  });
}

function makeSocketTransport(sock: Socket, timeoutMs: number): TpmTransport {
  let pending: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  let buf = Buffer.alloc(0);
  let dead: Error | undefined;
  const fail = (err: Error) => {
    dead = err;
    if (pending) {
      clearTimeout(pending.timer);
      pending.reject(err);
      pending = undefined;
    }
  };
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (!pending || buf.length < 10) return;
    const size = buf.readUInt32BE(2);
    if (size < 10 || size > MAX_RESPONSE) return fail(size > MAX_RESPONSE ? new LimitExceeded('TPM response too large') : new MalformedInput('TPM response size field < 10'));
    if (buf.length < size) return;
    const out = new Uint8Array(buf.subarray(0, size));
    buf = buf.subarray(size);
    clearTimeout(pending.timer);
    const p = pending;
    pending = undefined;
    p.resolve(out);
  });
  sock.on('error', (err) => fail(new Unavailable(`TPM socket error: ${err.message}`, { cause: err })));
  sock.on('close', () => fail(new Unavailable('TPM socket closed')));
  let chain: Promise<unknown> = Promise.resolve();
  return {
    transmit(command) {
      const run = () =>
        new Promise<Uint8Array>((resolve, reject) => {
          if (dead) return reject(dead);
          buf = Buffer.alloc(0);
          const timer = setTimeout(() => fail(new Unavailable(`TPM did not answer within ${timeoutMs} ms`)), timeoutMs);
          pending = { resolve, reject, timer };
          sock.write(command);
        });
      const p = chain.then(run, run);
      chain = p.catch(() => undefined);
      return p;
    },
    close: () =>
      new Promise<void>((r) => {
        dead ??= new Unavailable('TPM transport closed');
        sock.once('close', () => r());
        sock.destroy();
      }),
  };
}
