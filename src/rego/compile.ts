/**
 * Compilation: parse modules, resolve names, build the rule tree and precompute constant rules.
 * @module
 */
import { MalformedInput } from '../core/index.js';
import type { Module, Rule, Term } from './ast.js';
import { checkRule } from './check.js';
import { parseModule } from './parser.js';
import { resolveModule } from './resolve.js';
import { childAt, newNode, type RuleNode } from './tree.js';
import type { Value } from './value.js';
import { RObject, RSet } from './value.js';

export interface CompiledModules {
  root: RuleNode;
  modules: Module[];
  packages: string[];
  counter: { n: number };
}

/** Parse and link a set of modules (filename → source). */
export function compileModules(sources: Record<string, string>): CompiledModules {
  const modules = Object.entries(sources).map(([file, src]) => parseModule(src, file));
  for (const m of modules) for (const r of m.rules) checkRule(r, m.v1);
  const namesByPkg = new Map<string, Set<string>>();
  for (const m of modules) {
    const key = m.pkg.join('.');
    const names = namesByPkg.get(key) ?? new Set<string>();
    for (const r of m.rules) names.add(String((r.ref[0] as { v: unknown }).v));
    namesByPkg.set(key, names);
  }
  const counter = { n: 0 };
  const nodeCounter = { n: 0 };
  const root = newNode([], nodeCounter);
  for (const m of modules) {
    childAt(root, m.pkg, nodeCounter).isPackage = true;
    for (const rule of resolveModule(m, namesByPkg.get(m.pkg.join('.'))!, counter)) addRule(root, rule, nodeCounter);
  }
  precomputeConstants(root);
  return { root, modules, packages: [...namesByPkg.keys()].sort(), counter };
}

function staticPath(rule: Rule): string[] {
  return rule.ref.slice(0, rule.staticLen).map((t) => String((t as { v: unknown }).v));
}

function addRule(root: RuleNode, rule: Rule, counter: { n: number }): void {
  const node = childAt(root, [...rule.pkg, ...staticPath(rule)], counter);
  const where = `${rule.loc.file}:${rule.loc.line}:${rule.loc.col}`;
  if (rule.kind === 'function') {
    if (rule.isDefault) node.defaults.push(rule);
    else node.funcs.push(rule);
    if (node.funcs.some((f) => f.args.length !== rule.args.length)) throw new MalformedInput(`${where}: function ${staticPath(rule).join('.')} defined with different arities`);
    return;
  }
  if (rule.isDefault && rule.kind === 'object') {
    node.objectDefaults.push(rule);
    return;
  }
  if (rule.isDefault) {
    if (node.defaults.length > 0) throw new MalformedInput(`${where}: multiple default rules for ${staticPath(rule).join('.')}`);
    node.defaults.push(rule);
    return;
  }
  if (rule.kind === 'complete') node.complete.push(rule);
  else if (rule.kind === 'set' && rule.staticLen < rule.ref.length) node.objects.push(rule);
  else if (rule.kind === 'set') node.sets.push(rule);
  else node.objects.push(rule);
  const kinds = [node.complete.length > 0, node.sets.length > 0, node.objects.length > 0].filter(Boolean).length;
  if (kinds > 1 || (node.funcs.length > 0 && rule.kind !== 'object')) {
    throw new MalformedInput(`${where}: rule ${staticPath(rule).join('.')} is defined with conflicting kinds`);
  }
}

/** A ground term (no variables, refs, calls or comprehensions) evaluated to its value. */
export function groundValue(t: Term): Value | undefined {
  switch (t.t) {
    case 'scalar':
      return t.v;
    case 'array': {
      const out: Value[] = [];
      for (const x of t.items) {
        const v = groundValue(x);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 'set': {
      const out = new RSet();
      for (const x of t.items) {
        const v = groundValue(x);
        if (v === undefined) return undefined;
        out.add(v);
      }
      return out;
    }
    case 'object': {
      const out = new RObject();
      for (const [a, b] of t.entries) {
        const k = groundValue(a);
        const v = groundValue(b);
        if (k === undefined || v === undefined) return undefined;
        out.set(k, v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

function precomputeConstants(node: RuleNode): void {
  if (node.complete.length === 1 && node.defaults.length === 0 && node.children.size === 0) {
    const rule = node.complete[0]!;
    if (rule.bodies.length === 1 && rule.bodies[0]!.body.length === 0) {
      const v = groundValue(rule.bodies[0]!.value);
      if (v !== undefined) node.constant = v;
    }
  }
  for (const c of node.children.values()) precomputeConstants(c);
}
