/**
 * The rule tree: `data` as a tree of packages and rule paths, built once at compile time.
 * @module
 */
import type { Rule } from './ast.js';
import type { Value } from './value.js';

export interface RuleNode {
  id: number;
  path: string[];
  children: Map<string, RuleNode>;
  complete: Rule[];
  defaults: Rule[];
  sets: Rule[];
  objects: Rule[];
  /** `default p[k] := v`: keys an object rule has unless a rule defines them. */
  objectDefaults: Rule[];
  funcs: Rule[];
  /** A package declared by some module (its value is at least `{}`). */
  isPackage?: boolean;
  /** Value precomputed at compile time for a constant complete rule (no body, ground value). */
  constant?: Value;
}

export function newNode(path: string[], counter: { n: number }): RuleNode {
  return { id: counter.n++, path, children: new Map(), complete: [], defaults: [], sets: [], objects: [], objectDefaults: [], funcs: [] };
}

/** Does this node (or a descendant) define a value (not only functions)? */
export function hasValueRules(n: RuleNode): boolean {
  return n.complete.length + n.defaults.length + n.sets.length + n.objects.length + n.objectDefaults.length > 0;
}

export function childAt(root: RuleNode, path: string[], counter: { n: number }): RuleNode {
  let node = root;
  for (const seg of path) {
    let c = node.children.get(seg);
    if (!c) {
      c = newNode([...node.path, seg], counter);
      node.children.set(seg, c);
    }
    node = c;
  }
  return node;
}
