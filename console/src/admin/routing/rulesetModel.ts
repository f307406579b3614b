// A ruleset as the editor holds it (rules with their condition trees and
// outputs as typed text), to and from the API's JSON; moving rules and
// rulesets; and which rule (and condition) a problem from the API concerns.
import type { AdminSchemas } from '../../api/types';
import { rowKey, rowsOf, type NameValueRow } from '../form/rows';
import { blank, fromApi, nodes, toApi, type Node } from './conditionModel';

export type Ruleset = AdminSchemas['Ruleset'];
export type NewRuleset = AdminSchemas['NewRuleset'];
export type Kind = Ruleset['kind'];

export type Pair = NameValueRow;
export { rowKey as pairKey };

export interface RuleDraft {
  key: number;
  name: string;
  when: Node;
  /** Classification: skill -> minimum level (typed text). */
  skills: Pair[];
  priority: string;
  attributes: Pair[];
  /** Route to queue: the queue. */
  queue: string;
}

export interface RulesetDraft {
  id: string;
  name: string;
  workstream: string;
  order: number;
  kind: Kind;
  rules: RuleDraft[];
}

export function blankRule(name = ''): RuleDraft {
  return { key: rowKey(), name, when: blank('all'), skills: [], priority: '', attributes: [], queue: '' };
}

export function blankRuleset(workstream: string, order: number): RulesetDraft {
  return { id: '', name: '', workstream, order, kind: 'classification', rules: [blankRule()] };
}

export function draftOf(r: Ruleset): RulesetDraft {
  const base = { id: r.id, name: r.name, workstream: r.workstream, order: r.order };
  if (r.kind === 'classification') {
    return {
      ...base,
      kind: r.kind,
      rules: r.rules.map((x) => ({
        key: rowKey(),
        name: x.name,
        when: fromApi(x.when),
        skills: rowsOf(x.set?.skills),
        priority: x.set?.priority === undefined ? '' : String(x.set.priority),
        attributes: rowsOf(x.set?.attributes),
        queue: '',
      })),
    };
  }
  return {
    ...base,
    kind: r.kind,
    rules: r.rules.map((x) => ({ key: rowKey(), name: x.name, when: fromApi(x.when), skills: [], priority: '', attributes: [], queue: x.queue })),
  };
}

/** A whole number as typed, or the text itself (the API then says what is wrong with it). */
function num(s: string): number {
  const t = s.trim();
  return /^\d+$/.test(t) ? Number(t) : (t as unknown as number);
}

/** The kind and rules as the API takes them (POST and PATCH alike). */
export function kindAndRules(d: RulesetDraft): AdminSchemas['RulesetKind'] {
  if (d.kind === 'route_to_queue') {
    return { kind: d.kind, rules: d.rules.map((r) => ({ name: r.name, when: toApi(r.when), queue: r.queue })) };
  }
  return {
    kind: d.kind,
    rules: d.rules.map((r) => {
      const set: NonNullable<AdminSchemas['ClassifyRule']['set']> = {};
      const skills = r.skills.filter((p) => p.name.trim());
      if (skills.length) set.skills = Object.fromEntries(skills.map((p) => [p.name.trim(), num(p.value)]));
      if (r.priority.trim()) set.priority = num(r.priority);
      const attrs = r.attributes.filter((p) => p.name.trim());
      if (attrs.length) set.attributes = Object.fromEntries(attrs.map((p) => [p.name.trim(), p.value]));
      return { name: r.name, when: toApi(r.when), set };
    }),
  };
}

export function newRulesetBody(d: RulesetDraft): NewRuleset {
  return { id: d.id.trim(), workstream: d.workstream, name: d.name, order: d.order, ...kindAndRules(d) };
}

/** The list with the item at `i` moved by `by` (-1 up, +1 down); unchanged at an end. */
export function move<T>(list: readonly T[], i: number, by: -1 | 1): T[] {
  const j = i + by;
  const out = [...list];
  const a = out[i];
  const b = out[j];
  if (a === undefined || b === undefined) return out;
  out[i] = b;
  out[j] = a;
  return out;
}

/**
 * The order numbers that put `list` in this sequence: 1, 2, 3... Returns
 * only the rulesets whose number changes (what to PATCH).
 */
export function renumber(list: readonly Pick<Ruleset, 'id' | 'order'>[]): { id: string; order: number }[] {
  return list.map((r, i) => ({ id: r.id, order: i + 1 })).filter((x, i) => list[i]?.order !== x.order);
}

/** Where a problem from the API belongs: the rule it names (`rule "x": ...`) and, for a regular expression, the condition. */
export function problemPlace(detail: string, rules: readonly RuleDraft[]): { rule: number | null; condition: number | null } {
  const m = /rule "((?:[^"\\]|\\.)*)"/.exec(detail);
  let name: string | null = null;
  if (m?.[1] !== undefined) {
    try {
      name = JSON.parse(`"${m[1]}"`) as string;
    } catch {
      name = m[1];
    }
  }
  const rule = name === null ? undefined : rules.find((r) => r.name === name || r.name.trim() === name);
  if (!rule) return { rule: null, condition: null };
  const regex = nodes(rule.when).find((n) => n.kind === 'text_matches' && detail.includes(JSON.stringify(n.value)));
  return { rule: rule.key, condition: regex?.key ?? null };
}
