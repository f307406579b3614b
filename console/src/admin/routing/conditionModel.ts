// A rule's condition as the editor holds it (a tree of nodes with keys), to
// and from the API's Condition JSON, and the edits the condition builder makes.
import type { AdminSchemas } from '../../api/types';

export type Condition = AdminSchemas['Condition'];

/** Every kind of condition the API has, in the order the builder offers them. */
export const CONDITION_KINDS = [
  'all',
  'any',
  'not',
  'locale',
  'text_contains',
  'text_matches',
  'payload',
  'ref',
  'ad_id',
  'page',
  'contact',
  'returning_customer',
  'time_of_day',
  'attribute',
  'always',
] as const;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

/** Kinds that hold one text value. */
export const TEXT_KINDS = ['locale', 'text_contains', 'text_matches', 'payload', 'ref', 'ad_id'] as const;
export type TextKind = (typeof TEXT_KINDS)[number];

export type Node = { key: number } & (
  | { kind: 'always' }
  | { kind: 'all' | 'any'; children: Node[] }
  | { kind: 'not'; child: Node }
  | { kind: TextKind; value: string }
  | { kind: 'page'; pages: string }
  | { kind: 'contact'; field: string; equals: string }
  | { kind: 'returning_customer'; value: boolean }
  | { kind: 'time_of_day'; from: string; to: string; time_zone: string }
  | { kind: 'attribute'; name: string; equals: string }
);

let nextKey = 1;
function key(): number {
  nextKey += 1;
  return nextKey;
}

/** A new node of a kind, with empty (or sensible) values. */
export function blank(kind: ConditionKind): Node {
  const k = key();
  switch (kind) {
    case 'always':
      return { key: k, kind };
    case 'all':
    case 'any':
      return { key: k, kind, children: [] };
    case 'not':
      return { key: k, kind, child: blank('text_contains') };
    case 'page':
      return { key: k, kind, pages: '' };
    case 'contact':
      return { key: k, kind, field: 'email', equals: '' };
    case 'returning_customer':
      return { key: k, kind, value: true };
    case 'time_of_day':
      return { key: k, kind, from: '09:00', to: '17:00', time_zone: 'Europe/Copenhagen' };
    case 'attribute':
      return { key: k, kind, name: '', equals: '' };
    default:
      return { key: k, kind, value: '' };
  }
}

function isText(kind: string): kind is TextKind {
  return (TEXT_KINDS as readonly string[]).includes(kind);
}

/** The API's JSON for a node. */
export function toApi(n: Node): Condition {
  switch (n.kind) {
    case 'always':
      return 'always';
    case 'all':
      return { all: n.children.map(toApi) };
    case 'any':
      return { any: n.children.map(toApi) };
    case 'not':
      return { not: toApi(n.child) };
    case 'page':
      return {
        page: n.pages
          .split(/[\s,]+/)
          .map((p) => p.trim())
          .filter(Boolean),
      };
    case 'contact':
      return { contact: { field: n.field, equals: n.equals } };
    case 'returning_customer':
      return { returning_customer: n.value };
    case 'time_of_day':
      return { time_of_day: { from: n.from, to: n.to, time_zone: n.time_zone } };
    case 'attribute':
      return { attribute: { name: n.name, equals: n.equals } };
    default:
      return { [n.kind]: n.value } as Condition;
  }
}

/** A node for the API's JSON (anything unknown reads as "always", which the API never sends). */
export function fromApi(c: Condition): Node {
  const k = key();
  if (typeof c === 'string') return { key: k, kind: 'always' };
  if ('all' in c) return { key: k, kind: 'all', children: c.all.map(fromApi) };
  if ('any' in c) return { key: k, kind: 'any', children: c.any.map(fromApi) };
  if ('not' in c) return { key: k, kind: 'not', child: fromApi(c.not) };
  if ('page' in c) return { key: k, kind: 'page', pages: c.page.join(', ') };
  if ('contact' in c) return { key: k, kind: 'contact', field: c.contact.field, equals: c.contact.equals };
  if ('returning_customer' in c) return { key: k, kind: 'returning_customer', value: c.returning_customer };
  if ('time_of_day' in c) return { key: k, kind: 'time_of_day', ...c.time_of_day };
  if ('attribute' in c) return { key: k, kind: 'attribute', name: c.attribute.name, equals: c.attribute.equals };
  const [kind, value] = Object.entries(c)[0] ?? [];
  if (kind && isText(kind) && typeof value === 'string') return { key: k, kind, value };
  return { key: k, kind: 'always' };
}

/**
 * The node changed to another kind, keeping what carries over: a group keeps
 * its children (into "not": the first, or all of them in an "all"), a text
 * kind its text, and a leaf wrapped by "all"/"any"/"not" becomes its child.
 */
export function changeKind(n: Node, kind: ConditionKind): Node {
  if (n.kind === kind) return n;
  const children = n.kind === 'all' || n.kind === 'any' ? n.children : n.kind === 'not' ? [n.child] : n.kind === 'always' ? [] : [n];
  if (kind === 'all' || kind === 'any') return { key: n.key, kind, children };
  if (kind === 'not') {
    const only = children.length === 1 ? children[0] : undefined;
    return { key: n.key, kind, child: only ?? (children.length > 1 ? { key: key(), kind: 'all', children } : blank('text_contains')) };
  }
  if (isText(kind) && 'value' in n && typeof n.value === 'string') return { key: n.key, kind, value: n.value };
  return { ...blank(kind), key: n.key };
}

/** A copy of the tree with the node `target` (by key) replaced. */
export function replace(root: Node, target: number, by: Node): Node {
  if (root.key === target) return by;
  if (root.kind === 'all' || root.kind === 'any') return { ...root, children: root.children.map((c) => replace(c, target, by)) };
  if (root.kind === 'not') return { ...root, child: replace(root.child, target, by) };
  return root;
}

/** A copy of the tree without the node `target` (a group's child; the root stays). */
export function remove(root: Node, target: number): Node {
  if (root.kind === 'all' || root.kind === 'any') {
    return { ...root, children: root.children.filter((c) => c.key !== target).map((c) => remove(c, target)) };
  }
  if (root.kind === 'not') return { ...root, child: root.child.key === target ? blank('always') : remove(root.child, target) };
  return root;
}

/** How deep the tree nests (the API allows 16). */
export function depth(n: Node): number {
  if (n.kind === 'all' || n.kind === 'any') return 1 + Math.max(0, ...n.children.map(depth));
  if (n.kind === 'not') return 1 + depth(n.child);
  return 1;
}

/** Every node of the tree, root first. */
export function nodes(n: Node): Node[] {
  if (n.kind === 'all' || n.kind === 'any') return [n, ...n.children.flatMap(nodes)];
  if (n.kind === 'not') return [n, ...nodes(n.child)];
  return [n];
}
