/**
 * A fake configfs-tsm tree in a temp dir: `mkdir` of a report directory creates the attribute
 * files the kernel would (`provider`, `generation`), writing `inblob` produces `outblob` (from a
 * callback, e.g. a real fixture report) and bumps `generation`, `rmdir` removes the directory.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { TsmFs } from '../../src/guest/attester/configfs-tsm.js';

export interface FakeTsm {
  root: string;
  fs: TsmFs;
  /** Report directories created so far (to check they were removed). */
  created: string[];
  /** Directories currently present. */
  live: Set<string>;
  cleanup(): void;
}

export function fakeTsm(opts: {
  provider: string;
  outblob: (inblob: Uint8Array) => Uint8Array;
  auxblob?: Uint8Array;
  /** Simulate another writer: generation jumps by this much on each inblob write. */
  generationStep?: number;
}): FakeTsm {
  const root = mkdtempSync(join(tmpdir(), 'coco-tsm-'));
  const created: string[] = [];
  const live = new Set<string>();
  const fs: TsmFs = {
    async mkdir(p) {
      await mkdir(p);
      created.push(p);
      live.add(p);
      await writeFile(join(p, 'provider'), `${opts.provider}\n`);
      await writeFile(join(p, 'generation'), '0\n');
      if (opts.auxblob) await writeFile(join(p, 'auxblob'), opts.auxblob);
    },
    read: async (p) => new Uint8Array(await readFile(p)),
    async write(p, data) {
      await writeFile(p, data);
      if (basename(p) === 'inblob') {
        const dir = dirname(p);
        const gen = Number((await readFile(join(dir, 'generation'), 'utf8')).trim()) + (opts.generationStep ?? 1);
        await writeFile(join(dir, 'generation'), `${gen}\n`);
        await writeFile(join(dir, 'outblob'), opts.outblob(data));
      }
    },
    async rmdir(p) {
      await rm(p, { recursive: true });
      live.delete(p);
    },
  };
  return { root, fs, created, live, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
