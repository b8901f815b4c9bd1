/**
 * The guest's composition: choose the attester (detected, or named — `sample` only when named),
 * bind initdata (refusing to start on a mismatch), and build the KBS client, the runtime
 * measurer and the data hub from one `GuestConfig`.
 * @module
 */
import { ConfigError, Unsupported, utf8 } from '../core/index.js';
import { initDataDigest } from '../protocol/index.js';
import type { GuestApiBackend } from './api-server/routes.js';
import { RuntimeMeasurer } from './aael.js';
import type { Attester, BindResult } from './attester/attester.js';
import { detectAttester } from './attester/detect.js';
import { createAttester, type AttesterEnv } from './attester/registry.js';
import { ConfidentialDataHub } from './cdh/resource.js';
import type { GuestConfig } from './config.js';
import { KbsClient } from './kbs-client/client.js';
import { nodeFetch, type FetchLike } from './kbs-client/http.js';
import type { RetryPolicy } from './kbs-client/retry.js';
import { kbsTokenJson } from './kbs-client/token.js';

/** Version reported by `/info`. */
export const GUEST_VERSION = '0.1.0';

export interface GuestDeps {
  /** KBS transport; default node:http(s) with the configured CA. */
  fetch?: FetchLike;
  attesterEnv?: AttesterEnv;
  retry?: RetryPolicy;
  log?: (line: string) => void;
  sealedSecretKeyDir?: string;
  credentialsRoot?: string;
}

export interface Guest {
  attester: Attester;
  client: KbsClient;
  cdh: ConfidentialDataHub;
  measurer: RuntimeMeasurer;
  initDataBinding: BindResult | 'none';
  apiBackend(): GuestApiBackend;
  close(): Promise<void>;
}

/** Build and bind the guest. Throws `VerificationFailed` (`<tee>.init_data`) when initdata does not match the hardware. */
export async function startGuest(cfg: GuestConfig, deps: GuestDeps = {}): Promise<Guest> {
  if (!cfg.kbsUrl) throw new ConfigError('no KBS URL: pass --kbs-url, a config file, or initdata with aa.toml', { key: 'kbs-url' });
  let measurer: RuntimeMeasurer | undefined;
  const env: AttesterEnv = { readAael: async () => measurer?.log(), ...deps.attesterEnv };
  let name = cfg.attester;
  if (cfg.tpm) env.tpm = cfg.tpm;
  if (name === 'auto') {
    const found = await detectAttester({ tpm: cfg.tpm });
    name = found.name;
    if (found.tpm) env.tpm = found.tpm;
  }
  const attester = await createAttester(name, env);
  try {
    let initDataBinding: BindResult | 'none' = 'none';
    if (cfg.initDataToml !== undefined) {
      initDataBinding = await attester.bindInitData(initDataDigest(cfg.initDataToml));
      if (initDataBinding === 'unsupported') deps.log?.(`initdata is not bound by the ${attester.tee} attester (the KBS still checks it)`);
    }
    measurer = new RuntimeMeasurer({ attester, enabled: cfg.eventlog.enabled, initPcr: cfg.eventlog.initPcr });
    const client = new KbsClient({
      kbsUrl: cfg.kbsUrl,
      fetch: deps.fetch ?? nodeFetch({ ca: cfg.kbsCaPem }),
      attester,
      teeKeyAlgorithm: cfg.teeKeyAlgorithm,
      initDataToml: cfg.initDataToml,
      retry: deps.retry,
      log: deps.log,
    });
    const cdh = new ConfidentialDataHub({
      kbs: client,
      skipSealedSecretVerification: cfg.skipSealedSecretVerification,
      credentials: cfg.credentials,
      sealedSecretKeyDir: deps.sealedSecretKeyDir,
      credentialsRoot: deps.credentialsRoot,
    });
    const m = measurer;
    return {
      attester,
      client,
      cdh,
      measurer: m,
      initDataBinding,
      apiBackend: () => ({
        version: GUEST_VERSION,
        tee: attester.tee,
        additionalTees: [],
        features: cfg.features,
        getResource: (uri) => cdh.getResource(uri),
        async getToken(type) {
          if (type !== 'kbs') throw new Unsupported(`token type ${JSON.stringify(type)} (kbs only)`);
          return utf8(kbsTokenJson(await client.attest(), client.key));
        },
        getEvidence: async (rd) => utf8(JSON.stringify(await attester.getEvidence(rd))),
        getAdditionalEvidence: async () => new Uint8Array(0),
        extendRuntimeMeasurement: (d, o, c) => m.extend(d, o, c),
      }),
      close: async () => attester.close?.(),
    };
  } catch (err) {
    await attester.close?.();
    throw err;
  }
}
