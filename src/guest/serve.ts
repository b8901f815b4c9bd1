/**
 * `coco guest serve`: the attestation agent, the data hub and the REST API in one process.
 * Credentials are provisioned at start; the API listens on 127.0.0.1:8006 unless configured.
 * @module
 */
import { startGuest, type Guest, type GuestDeps } from './agent.js';
import { listenGuestApi } from './api-server/server.js';
import type { GuestConfig } from './config.js';

export interface RunningGuest {
  guest: Guest;
  url: string;
  close(): Promise<void>;
}

/** Start serving; resolves once the API is listening. */
export async function runGuestServe(cfg: GuestConfig, deps: GuestDeps = {}): Promise<RunningGuest> {
  const guest = await startGuest(cfg, deps);
  try {
    const written = await guest.cdh.provisionCredentials();
    for (const p of written) deps.log?.(`provisioned credential ${p}`);
    const api = await listenGuestApi(guest.apiBackend(), cfg.listen.host, cfg.listen.port);
    return {
      guest,
      url: api.url,
      close: async () => {
        await api.close();
        await guest.close();
      },
    };
  } catch (err) {
    await guest.close();
    throw err;
  }
}
