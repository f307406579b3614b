// The apply report's change sentences sorted by what they do (created,
// changed, removed) and which kind of resource they concern.
export type Action = 'created' | 'updated' | 'removed';
export type Kind = 'account' | 'page' | 'workstream' | 'queue' | 'agent' | 'ruleset' | 'canned' | 'other';

export interface Change {
  action: Action;
  kind: Kind;
  text: string;
}

const KINDS: readonly [string, Kind][] = [
  ['canned response', 'canned'],
  ['account', 'account'],
  ['page', 'page'],
  ['workstream', 'workstream'],
  ['queue', 'queue'],
  ['agent', 'agent'],
  ['ruleset', 'ruleset'],
];

/** One sentence ("create queue vip", "remove page 1 from account acme", ...). */
export function classify(text: string): Change {
  const [verb = '', ...rest] = text.trim().split(/\s+/);
  const object = rest.join(' ');
  const action: Action = verb === 'create' || verb === 'connect' ? 'created' : verb === 'remove' ? 'removed' : 'updated';
  const kind = KINDS.find(([word]) => object.startsWith(`${word} `) || object === word)?.[1] ?? 'other';
  return { action, kind, text };
}

export const ACTIONS: readonly Action[] = ['created', 'updated', 'removed'];

/** The changes by action, in the report's order within each. */
export function groupChanges(changes: readonly string[]): { action: Action; items: Change[] }[] {
  const all = changes.map(classify);
  return ACTIONS.map((action) => ({ action, items: all.filter((c) => c.action === action) })).filter((g) => g.items.length > 0);
}
