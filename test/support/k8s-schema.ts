/**
 * A small validator for the pinned Kubernetes/KServe OpenAPI subset in
 * deploy/schemas/k8s-1.30-subset.json (no network). It understands the JSON Schema keywords that
 * file uses: $ref, type, properties, required, additionalProperties, items, enum, pattern,
 * min/maxLength, minimum/maximum, minItems and oneOf. Objects are looked up by apiVersion + kind.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures.js';

interface Schema {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  oneOf?: Schema[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

interface SchemaDoc {
  definitions: Record<string, Schema>;
}

export const K8S_SCHEMA_PATH = join(REPO_ROOT, 'deploy', 'schemas', 'k8s-1.30-subset.json');

/** Load the pinned schema document. */
export function loadK8sSchema(path = K8S_SCHEMA_PATH): SchemaDoc {
  return JSON.parse(readFileSync(path, 'utf8')) as SchemaDoc;
}

/** Validate one Kubernetes object; returns a list of `path: problem` strings (empty when valid). */
export function validateK8sObject(obj: unknown, doc: SchemaDoc = loadK8sSchema()): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return ['$: not an object'];
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  const name = Object.keys(doc.definitions).find((n) =>
    (doc.definitions[n]!['x-kubernetes-group-version-kind'] ?? []).some(
      (g) => (g.group ? `${g.group}/${g.version}` : g.version) === apiVersion && g.kind === kind,
    ),
  );
  if (!name) return [`$: no pinned schema for apiVersion ${String(apiVersion)} kind ${String(kind)}`];
  const errors: string[] = [];
  check(doc, doc.definitions[name]!, obj, '$', errors);
  return errors;
}

function check(doc: SchemaDoc, schema: Schema, v: unknown, path: string, errors: string[]): void {
  if (schema.$ref) {
    const target = doc.definitions[schema.$ref.replace('#/definitions/', '')];
    if (!target) throw new Error(`schema: dangling $ref ${schema.$ref}`);
    return check(doc, target, v, path, errors);
  }
  if (schema.oneOf) {
    const matches = schema.oneOf.filter((s) => {
      const e: string[] = [];
      check(doc, s, v, path, e);
      return e.length === 0;
    }).length;
    if (matches !== 1) errors.push(`${path}: matches ${matches} of the oneOf alternatives`);
    return;
  }
  if (schema.enum && !schema.enum.includes(v)) errors.push(`${path}: ${JSON.stringify(v)} not in ${JSON.stringify(schema.enum)}`);
  switch (schema.type) {
    case 'object': {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return void errors.push(`${path}: expected object`);
      const o = v as Record<string, unknown>;
      for (const r of schema.required ?? []) if (!(r in o)) errors.push(`${path}.${r}: required`);
      for (const [k, x] of Object.entries(o)) {
        const ps = schema.properties?.[k];
        if (ps) check(doc, ps, x, `${path}.${k}`, errors);
        else if (schema.additionalProperties === false || (schema.additionalProperties === undefined && schema.properties)) errors.push(`${path}.${k}: unknown field`);
        else if (typeof schema.additionalProperties === 'object') check(doc, schema.additionalProperties, x, `${path}.${k}`, errors);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(v)) return void errors.push(`${path}: expected array`);
      if (schema.minItems !== undefined && v.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
      v.forEach((x, i) => schema.items && check(doc, schema.items, x, `${path}[${i}]`, errors));
      return;
    case 'string':
      if (typeof v !== 'string') return void errors.push(`${path}: expected string`);
      if (schema.pattern && !new RegExp(schema.pattern).test(v)) errors.push(`${path}: ${JSON.stringify(v)} does not match ${schema.pattern}`);
      if (schema.minLength !== undefined && v.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
      if (schema.maxLength !== undefined && v.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
      return;
    case 'integer':
    case 'number':
      if (typeof v !== 'number' || (schema.type === 'integer' && !Number.isInteger(v))) return void errors.push(`${path}: expected ${schema.type}`);
      if (schema.minimum !== undefined && v < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
      if (schema.maximum !== undefined && v > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
      return;
    case 'boolean':
      if (typeof v !== 'boolean') errors.push(`${path}: expected boolean`);
      return;
    default:
      return;
  }
}
