/**
 * Init-container mode (`coco guest fetch`): attest, fetch one resource, write it atomically
 * (temp file in the target directory, then rename) with the requested mode. On any failure
 * nothing is left at the target path.
 * @module
 */
import { startGuest, type GuestDeps } from './agent.js';
import { writeFileAtomic } from './cdh/resource.js';
import type { GuestConfig } from './config.js';

export interface FetchJob {
  resource: string;
  out: string;
  /** File mode, default 0o400. */
  mode?: number;
}

/** Run the fetch; resolves with the number of bytes written. */
export async function runGuestFetch(cfg: GuestConfig, job: FetchJob, deps: GuestDeps = {}): Promise<number> {
  const guest = await startGuest(cfg, deps);
  try {
    const data = await guest.cdh.getResource(job.resource);
    await writeFileAtomic(job.out, data, job.mode ?? 0o400);
    return data.length;
  } finally {
    await guest.close();
  }
}
