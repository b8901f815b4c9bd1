/**
 * The standard builtin table (merged from the groups) and host-builtin adaptation.
 * @module
 */
import { fromJson, toJson } from '../value.js';
import { aggregates } from './aggregates.js';
import { encoding } from './encoding.js';
import { misc } from './misc.js';
import { numbers } from './numbers.js';
import { objects } from './objects.js';
import { regex } from './regex.js';
import { strings } from './strings.js';
import { semver } from './semver.js';
import { time } from './time.js';
import { jsonPatch } from './json-patch.js';
import { bitsUnits } from './bits-units.js';
import { typeChecks } from './type-checks.js';
import type { BuiltinDef } from './types.js';

export type { BuiltinDef, BuiltinContext, BuiltinTable } from './types.js';

/** Every standard builtin by name. */
export const STANDARD_BUILTINS: ReadonlyMap<string, BuiltinDef> = new Map(
  Object.entries({ ...aggregates, ...typeChecks, ...strings, ...objects, ...numbers, ...encoding, ...regex, ...misc, ...time, ...jsonPatch, ...bitsUnits, ...semver }),
);

/** A host function over JSON values, as the public API accepts it. */
export interface HostBuiltin {
  arity: number;
  fn: (...args: unknown[]) => unknown;
}

/** Wrap a host builtin: arguments in as JSON, result back as a value (undefined stays undefined). */
export function adaptHost(h: HostBuiltin): BuiltinDef {
  return { arity: h.arity, fn: hostCall(h) };
}

// A returned closure, not an object-literal property: tsx's keepNames would rename the latter per call.
function hostCall(h: HostBuiltin): BuiltinDef['fn'] {
  return (args) => {
    const r = h.fn(...args.map(toJson));
    return r === undefined ? undefined : fromJson(r);
  };
}
