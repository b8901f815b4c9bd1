/**
 * Loads the Rego engine (`src/rego`) for the composition root. It is loaded by name at run time so
 * that this build works before the engine is merged; without it Trustee refuses to start rather
 * than run without policy.
 * @module
 */
import { Unavailable } from '../core/index.js';
import type { PolicyEngine } from './as/policy-engine.js';

export async function loadPolicyEngine(): Promise<PolicyEngine> {
  const specifier = '../rego/index.js';
  let mod: { compile?: PolicyEngine['compile'] };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (cause) {
    throw new Unavailable('the Rego engine (src/rego) is not part of this build; Trustee will not run without policy', { cause });
  }
  if (typeof mod.compile !== 'function') throw new Unavailable('src/rego does not export compile()');
  const compile = mod.compile;
  return { compile: (modules, options) => compile(modules, options) };
}
