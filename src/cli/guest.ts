/**
 * `coco guest fetch|serve|evidence|model-fetch` — the guest stack's entry point inside a pod VM.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isCocoError, toBase64 } from '../core/index.js';
import { loadGuestConfig, runGuestFetch, runGuestServe, startGuest, type GuestSettings } from '../guest/index.js';

export const summary = 'guest stack: attest and fetch a resource (init container), or serve AA + CDH + REST API';

const USAGE = `usage: coco guest <fetch|serve|evidence|model-fetch> [options]

  fetch --resource kbs:///repo/type/tag --out PATH [--mode 0400]
        attest, fetch one resource, write it atomically; exit non-zero with a one-line reason on failure
  serve  run the attestation agent, confidential data hub and REST API (127.0.0.1:8006) in one process
  evidence [--runtime-data TEXT]   print this TEE's evidence JSON (debugging)
  model-fetch ...                  storage-initializer mode (see coco guest model-fetch --help)

common options:
  --kbs-url URL            KBS root URL (or [token_configs.kbs] url in aa.toml / initdata)
  --attester NAME          auto|sample|tpm|snp|tdx|az-snp-vtpm|az-tdx-vtpm (default auto; sample only when named)
  --tpm DEVICE|host:port   TPM device (default /dev/tpmrm0) or a TCP TPM such as swtpm
  --initdata FILE          initdata TOML (or its annotation value): bound to the TEE and sent to KBS
  --kbs-ca FILE            PEM CA certificate that the KBS TLS certificate must chain to
  --config FILE            TOML/JSON file with the same keys (plus upstream aa.toml / cdh.toml sections)
  --listen HOST:PORT       REST API address for serve (default 127.0.0.1:8006)`;

const COMMON = {
  'kbs-url': { type: 'string' },
  attester: { type: 'string' },
  tpm: { type: 'string' },
  initdata: { type: 'string' },
  'kbs-ca': { type: 'string' },
  config: { type: 'string' },
  listen: { type: 'string' },
  features: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Exit code for an error (see cli/main.ts EXIT). */
function exitCodeOf(err: unknown): number {
  if (!isCocoError(err)) return 1;
  switch (err.code) {
    case 'ERR_NOT_FOUND':
      return 3;
    case 'ERR_UNAUTHORIZED':
    case 'ERR_POLICY_DENIED':
    case 'ERR_VERIFICATION_FAILED':
      return 4;
    case 'ERR_UNAVAILABLE':
      return 5;
    case 'ERR_CONFIG':
      return 2;
    default:
      return 1;
  }
}

function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').trim();
}

function settingsOf(values: Record<string, unknown>): GuestSettings & { config?: string } {
  const out: Record<string, string> = {};
  for (const k of ['kbs-url', 'attester', 'tpm', 'initdata', 'kbs-ca', 'config', 'listen', 'features']) {
    if (typeof values[k] === 'string') out[k] = values[k] as string;
  }
  return out;
}

const readText = (p: string) => readFile(p, 'utf8');
const log = (line: string) => console.error(`coco guest: ${line}`);

async function fetchCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, resource: { type: 'string' }, out: { type: 'string' }, mode: { type: 'string' } }, strict: true });
  if (values.help || !values.resource || !values.out) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const mode = values.mode === undefined ? 0o400 : Number.parseInt(values.mode, 8);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    console.error('coco guest fetch: --mode must be octal like 0400');
    return 2;
  }
  const cfg = await loadGuestConfig(settingsOf(values), readText);
  const n = await runGuestFetch(cfg, { resource: values.resource, out: values.out, mode }, { log });
  console.error(`coco guest fetch: wrote ${n} bytes to ${values.out}`);
  return 0;
}

async function serveCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: COMMON, strict: true });
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const cfg = await loadGuestConfig(settingsOf(values), readText);
  const running = await runGuestServe(cfg, { log });
  log(`serving the REST API on ${running.url} (attester ${running.guest.attester.tee})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

async function evidenceCmd(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, 'runtime-data': { type: 'string' } }, strict: true });
  const cfg = await loadGuestConfig({ 'kbs-url': 'http://unused.invalid', ...settingsOf(values) }, readText);
  // Printing evidence must not change the TEE: no initdata binding (no PCR 8 extend) here.
  const guest = await startGuest({ ...cfg, initDataToml: undefined }, { log });
  try {
    const rd = new TextEncoder().encode(values['runtime-data'] ?? '');
    console.log(JSON.stringify({ tee: guest.attester.tee, runtime_data: toBase64(rd), evidence: await guest.attester.getEvidence(rd) }, null, 2));
  } finally {
    await guest.close();
  }
  return 0;
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  try {
    switch (sub) {
      case 'fetch':
        return await fetchCmd(rest);
      case 'serve':
        return await serveCmd(rest);
      case 'evidence':
        return await evidenceCmd(rest);
      case 'model-fetch': {
        // Owned by the data-tools work (src/cli/guest-model-fetch.ts); loaded only when asked for.
        const spec = './guest-model-fetch.js';
        const mod = (await import(spec)) as { run(args: string[]): Promise<number> };
        return await mod.run(rest);
      }
      default:
        console.error(USAGE);
        return sub === undefined || sub === '--help' || sub === '-h' ? 0 : 2;
    }
  } catch (err) {
    console.error(`coco guest ${sub}: ${oneLine(err)}`);
    return exitCodeOf(err);
  }
}
