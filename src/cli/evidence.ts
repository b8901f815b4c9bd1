/**
 * `coco evidence verify --tee <tee> FILE [--report-data HEX] [--init-data-digest HEX]
 * [--as-of DATE] [--collateral DIR] [--eventlog FILE] [--vcek FILE] [--json]`: verify TEE evidence
 * offline with the same verifiers the attestation service uses, and print the claims and the check
 * table. TEE-agnostic: the verifier comes from the registry, collateral from `--collateral DIR`.
 * FILE is evidence JSON or a raw TD quote / SNP report (evidence-input.ts; docs/evidence-cli.md).
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { VerificationFailed, fromHex, isCocoError, type CheckRecord } from '../core/index.js';
import { isTee } from '../protocol/index.js';
import { loadCollateralDir } from '../trustee/index.js';
import { createVerifier, supportedTees, type Expected, type VerifierEnv } from '../verifier/index.js';
import { evidenceFromFile, type RawExtras } from './evidence-input.js';

export const summary = 'verify TEE evidence offline and show claims and checks';

const USAGE = `usage: coco evidence verify --tee <tee> FILE [--report-data HEX] [--init-data-digest HEX]
                            [--as-of DATE] [--collateral DIR] [--eventlog FILE] [--vcek FILE] [--json]
  FILE                 evidence JSON as the guest sends it, or raw binary: a TD quote (--tee tdx)
                       or a 1184-byte SNP report (--tee snp); '-' reads stdin
  --report-data HEX    expected runtime-data digest (checked against the TEE's report data)
  --init-data-digest HEX  expected init-data digest (HOST_DATA / MRCONFIGID / PCR 8)
  --as-of DATE         verify certificates as of this ISO date instead of now
  --collateral DIR     offline collateral (DIR/vcek/<hwid>/... for SNP; tcbInfo.json,
                       enclaveIdentity.json, CRLs for TDX)
  --eventlog FILE      CC event log (CCEL) that goes with a raw TD quote
  --vcek FILE          VCEK or VLEK (DER or PEM) that signed a raw SNP report (else --collateral)
  --json               print {ok, tee, claims, checks} as JSON`;

export interface Io {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<Uint8Array>;
}

const processIo: Io = {
  out: (t) => process.stdout.write(t + '\n'),
  err: (t) => process.stderr.write(t + '\n'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  },
};

/** The check table: one row per check, in the order they ran. */
export function formatChecks(checks: readonly CheckRecord[]): string {
  const w = Math.max(5, ...checks.map((c) => c.id.length));
  const rows = checks.map((c) => {
    const extra = [c.detail, c.expected !== undefined ? `expected ${c.expected}` : '', c.actual !== undefined ? `actual ${c.actual}` : ''].filter(Boolean).join('; ');
    return `${c.id.padEnd(w)}  ${c.ok ? 'pass' : 'FAIL'}  ${extra}`.trimEnd();
  });
  return [`${'check'.padEnd(w)}  ok    detail`, ...rows].join('\n');
}

/** `coco evidence ...` with injectable I/O (tests). Returns the exit code. */
export async function runEvidence(args: string[], io: Io = processIo): Promise<number> {
  if (args[0] !== 'verify') {
    io.err(USAGE);
    return args[0] === '--help' || args[0] === '-h' ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: args.slice(1),
      allowPositionals: true,
      options: {
        tee: { type: 'string' },
        'report-data': { type: 'string' },
        'init-data-digest': { type: 'string' },
        'as-of': { type: 'string' },
        collateral: { type: 'string' },
        eventlog: { type: 'string' },
        vcek: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    io.err(`coco evidence verify: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.out(USAGE);
    return 0;
  }
  const file = positionals[0];
  if (!o.tee || !file || positionals.length !== 1) {
    io.err(USAGE);
    return 2;
  }
  if (!isTee(o.tee)) {
    io.err(`coco evidence verify: unknown TEE ${JSON.stringify(o.tee)}; this build verifies: ${supportedTees().join(', ')}`);
    return 2;
  }
  const now = o['as-of'] ? new Date(o['as-of']) : new Date();
  if (Number.isNaN(now.getTime())) {
    io.err(`coco evidence verify: --as-of ${JSON.stringify(o['as-of'])} is not a date (use ISO 8601, e.g. 2025-06-01)`);
    return 2;
  }
  try {
    const expected: Expected = {};
    if (o['report-data']) expected.reportData = fromHex(o['report-data'], '--report-data');
    if (o['init-data-digest']) expected.initDataDigest = fromHex(o['init-data-digest'], '--init-data-digest');
    if (o.collateral && !(await stat(o.collateral)).isDirectory()) {
      io.err(`coco evidence verify: --collateral ${o.collateral} is not a directory`);
      return 2;
    }
    const env: VerifierEnv = o.collateral ? await loadCollateralDir(o.collateral) : {};
    const bytes = file === '-' ? await io.readStdin() : await readFile(file);
    const extras: RawExtras = {};
    if (o.eventlog) extras.eventLog = await readFile(o.eventlog);
    if (o.vcek) extras.vek = await readFile(o.vcek);
    const evidence = evidenceFromFile(o.tee, bytes, file, extras);
    const verifier = createVerifier(o.tee, env);
    const r = await verifier.evaluate(evidence, expected, now);
    if (o.json) io.out(JSON.stringify({ ok: true, tee: o.tee, teeClass: r.teeClass, claims: r.claims, checks: r.checks }, null, 2));
    else io.out(`${JSON.stringify(r.claims, null, 2)}\n\n${formatChecks(r.checks)}\n\nevidence verified (${o.tee}, as of ${now.toISOString()})`);
    return 0;
  } catch (e) {
    if (e instanceof VerificationFailed) {
      if (o.json) io.out(JSON.stringify({ ok: false, tee: o.tee, failedCheck: e.check, error: e.message, checks: e.trace }, null, 2));
      else io.out(`${formatChecks(e.trace)}\n\nverification FAILED: ${e.message}`);
      return 1;
    }
    if (isCocoError(e)) {
      io.err(`coco evidence verify: ${e.code}: ${e.message}`);
      return e.code === 'ERR_UNAVAILABLE' ? 5 : e.code === 'ERR_UNSUPPORTED' ? 2 : 1;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      io.err(`coco evidence verify: no such file ${(e as NodeJS.ErrnoException).path ?? file}`);
      return 3;
    }
    throw e;
  }
}

export async function run(args: string[]): Promise<number> {
  return runEvidence(args);
}
