/**
 * Demo, pod-VM side: the attester (a real TPM on swtpm, or the sample TEE as a fallback), the KBS
 * client, the confidential data hub and the in-guest REST API that init containers call.
 * @module
 */
import { Unsupported, digest, utf8 } from '../../src/core/index.js';
import type { Attester } from '../../src/guest/attester/attester.js';
import { sampleAttester } from '../../src/guest/attester/sample.js';
import { tpmAttester } from '../../src/guest/attester/tpm.js';
import { openTpm } from '../../src/guest/attester/tpm/transport.js';
import { listenGuestApi } from '../../src/guest/api-server/server.js';
import { ConfidentialDataHub } from '../../src/guest/cdh/resource.js';
import { KbsClient } from '../../src/guest/kbs-client/client.js';
import { nodeFetch } from '../../src/guest/kbs-client/http.js';
import { instantRetry } from '../../src/guest/kbs-client/retry.js';
import { initDataDigest } from '../../src/protocol/index.js';

export type DemoTee = 'tpm' | 'sample';

export interface DemoGuest {
  tee: DemoTee;
  attester: Attester;
  client: KbsClient;
  cdh: ConfidentialDataHub;
  /** Base URL of the in-guest REST API (`/cdh/resource/...`). */
  apiUrl: string;
  close(): Promise<void>;
}

/** SHA-256 of a label: stands for the digest of a pod-VM component measured at boot. */
export const measurementOf = (label: string): Uint8Array => digest('sha256', utf8(label));

/** PCR the demo's "measured boot" extends (upstream's tpm policy appraises PCR 11). */
export const BOOT_PCR = 11;

/**
 * Boot a demo guest: open the attester, measure the pod-VM image into PCR 11, bind initdata
 * (PCR 8 on a TPM), then start the KBS client, CDH and REST API.
 */
export async function startDemoGuest(opts: {
  tee: DemoTee;
  tpmSpec?: string;
  /** An already open attester to reuse (the same TPM, re-measured). */
  attester?: Attester;
  kbsUrl: string;
  initDataToml: string;
  bootImage?: string;
  log?: (line: string) => void;
}): Promise<DemoGuest> {
  let attester = opts.attester;
  if (!attester) {
    attester = opts.tee === 'tpm' ? await tpmAttester({ transport: await openTpm(opts.tpmSpec!) }) : sampleAttester();
    if (opts.bootImage) await attester.extendRuntimeMeasurement?.(measurementOf(opts.bootImage), BOOT_PCR);
    const bound = await attester.bindInitData(initDataDigest(opts.initDataToml));
    opts.log?.(`initdata digest ${bound === 'bound' ? 'extended into PCR 8' : 'not bindable on this TEE (sample)'}`);
  }
  const client = new KbsClient({
    kbsUrl: opts.kbsUrl,
    fetch: nodeFetch({ timeoutMs: 20_000 }),
    attester,
    initDataToml: opts.initDataToml,
    retry: instantRetry({ rcarAttempts: 1, resourceAttempts: 1 }),
  });
  const cdh = new ConfidentialDataHub({ kbs: client });
  const unsupported = async (): Promise<never> => {
    throw new Unsupported('not enabled in the demo (feature "resource")');
  };
  const api = await listenGuestApi(
    {
      version: 'coco-ts-demo',
      tee: attester.tee,
      additionalTees: [],
      features: 'resource',
      getResource: (uri) => cdh.getResource(uri),
      getToken: unsupported,
      getEvidence: unsupported,
      getAdditionalEvidence: unsupported,
      extendRuntimeMeasurement: unsupported,
    },
    '127.0.0.1',
    0,
  );
  return { tee: opts.tee, attester, client, cdh, apiUrl: api.url, close: () => api.close() };
}
