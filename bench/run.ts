/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line) and writes
 * docs/benchmarks.md with the machine description. Each bench reports ratios against a baseline
 * measured in the same run, because these small machines are noisy.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchSection {
  title: string;
  /** Markdown body (tables, notes). */
  body: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const sections: BenchSection[] = [];
for (const f of files) {
  console.error(`bench: ${f}`);
  const mod = (await import(join(here, f))) as { run(): Promise<BenchSection> };
  const s = await mod.run();
  console.error(s.body);
  sections.push(s);
}

const cpu = cpus();
const machine = [
  `- date: ${new Date().toISOString()}`,
  `- CPU: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
  `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  `- Node ${process.version} (OpenSSL ${process.versions.openssl}), ${process.platform}/${process.arch}`,
].join('\n');

const doc = [
  '# Benchmarks',
  '',
  'Written by `npm run bench`. Absolute numbers on a 2-core shared machine are noisy; each section',
  'also reports a ratio against a baseline measured in the same run.',
  '',
  '## Machine',
  '',
  machine,
  '',
  ...sections.flatMap((s) => [`## ${s.title}`, '', s.body.trim(), '']),
].join('\n');

if (only.length === 0) writeFileSync(join(here, '..', 'docs', 'benchmarks.md'), doc);
else console.log(doc);
