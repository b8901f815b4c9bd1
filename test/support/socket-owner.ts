/**
 * Which process holds the server end of a TCP connection (Linux `/proc`): finds the socket inode of
 * `127.0.0.1:<serverPort> ← 127.0.0.1:<clientPort>` in `/proc/net/tcp`, then the pid among `pids`
 * whose file descriptors include it. Lets a test see which cluster worker served a request without
 * the product adding a worker header.
 * @module
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

function inodeOf(serverPort: number, clientPort: number): string | undefined {
  const local = `0100007F:${hexPort(serverPort)}`;
  const remote = `0100007F:${hexPort(clientPort)}`;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) return f[9];
  }
  return undefined;
}

/** The pid (of `pids`) owning the server side of the connection, or undefined when none does. */
export function socketOwner(serverPort: number, clientPort: number, pids: readonly number[]): number | undefined {
  const inode = inodeOf(serverPort, clientPort);
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}
