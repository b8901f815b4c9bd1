/**
 * Our own default policies (Rego sources beside this file), loaded once as strings.
 * @module
 */
import { readFileSync } from 'node:fs';

const read = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

/** AS appraisal policies seeded at startup without overwrite, by policy id. */
export const DEFAULT_AS_POLICIES: Readonly<Record<string, string>> = {
  default_cpu: read('default_cpu.rego'),
  default_gpu: read('default_gpu.rego'),
};

/** KBS resource policy seeded at startup without overwrite. */
export const DEFAULT_RESOURCE_POLICY = read('default_resource.rego');
