/**
 * Attester name → factory, one line per attester (STYLE habit 8). `sample` is never chosen by
 * detection; it must be named explicitly.
 * @module
 */
import { Unsupported } from '../../core/index.js';
import type { Attester } from './attester.js';
import { azSnpVtpmAttester, azTdxVtpmAttester, type ImdsFetch } from './az-vtpm.js';
import type { TsmFs } from './configfs-tsm.js';
import { sampleAttester } from './sample.js';
import { snpAttester, type SnpEvidenceEncoder } from './snp.js';
import { tdxAttester } from './tdx.js';
import { tpmAttester } from './tpm.js';
import { openTpm } from './tpm/transport.js';

export const ATTESTER_NAMES = ['sample', 'tpm', 'snp', 'tdx', 'az-snp-vtpm', 'az-tdx-vtpm'] as const;
export type AttesterName = (typeof ATTESTER_NAMES)[number];

/** Where attesters find their hardware; every member has a production default. */
export interface AttesterEnv {
  /** TPM device path, `host:port` or `unix:/path` (default `/dev/tpmrm0`). */
  tpm?: string;
  akHandle?: number;
  tsmRoot?: string;
  tsmFs?: TsmFs;
  ccelPath?: string;
  readAael?: () => Promise<Uint8Array | undefined>;
  imdsFetch?: ImdsFetch;
  /** SNP evidence codec; default the SNP verifier's `encodeSnpEvidence`. */
  snpEncode?: SnpEvidenceEncoder;
}

export type AttesterFactory = (env: AttesterEnv) => Promise<Attester>;

const DEFAULT_TPM = '/dev/tpmrm0';
const imds = (env: AttesterEnv): ImdsFetch => env.imdsFetch ?? ((url, init) => fetch(url, init));

export const ATTESTERS = {
  sample: async () => sampleAttester(),
  tpm: async (env) => tpmAttester({ transport: await openTpm(env.tpm ?? DEFAULT_TPM), akHandle: env.akHandle, readAael: env.readAael }),
  snp: async (env) => snpAttester({ encode: env.snpEncode, tsmRoot: env.tsmRoot, fs: env.tsmFs }),
  tdx: async (env) => tdxAttester({ tsmRoot: env.tsmRoot, fs: env.tsmFs, ccelPath: env.ccelPath, readAael: env.readAael }),
  'az-snp-vtpm': async (env) => azSnpVtpmAttester({ transport: await openTpm(env.tpm ?? DEFAULT_TPM), imdsFetch: imds(env) }),
  'az-tdx-vtpm': async (env) => azTdxVtpmAttester({ transport: await openTpm(env.tpm ?? DEFAULT_TPM), imdsFetch: imds(env) }),
} satisfies Record<AttesterName, AttesterFactory>;

/** Parse an `--attester` value (`auto` is handled by the caller). */
export function parseAttesterName(v: string): AttesterName {
  if (!(ATTESTER_NAMES as readonly string[]).includes(v)) throw new Unsupported(`unknown attester ${JSON.stringify(v)} (one of auto, ${ATTESTER_NAMES.join(', ')})`);
  return v as AttesterName;
}

/** Build a named attester. */
export function createAttester(name: AttesterName, env: AttesterEnv = {}): Promise<Attester> {
  return ATTESTERS[name](env);
}
