// The routing editor's pure model: condition trees and rulesets to and from the API's JSON, edits, ordering, problems.
import { describe, expect, it } from 'vitest';
import { blank, changeKind, CONDITION_KINDS, depth, fromApi, remove, replace, toApi, type Condition, type Node } from './conditionModel';
import { blankRule, draftOf, kindAndRules, move, newRulesetBody, problemPlace, renumber, type Ruleset } from './rulesetModel';

const every: Condition[] = [
  'always',
  { all: [{ locale: 'da' }, { text_contains: 'faktura' }] },
  { any: [{ text_matches: '(?i)invoice' }, { payload: 'BILLING' }] },
  { not: { returning_customer: true } },
  { page: ['104857600000001', '104857600000002'] },
  { ref: 'summer' },
  { ad_id: '42' },
  { contact: { field: 'email', equals: 'a@example.com' } },
  { time_of_day: { from: '08:00', to: '16:30', time_zone: 'Europe/Copenhagen' } },
  { attribute: { name: 'topic', equals: 'billing' } },
];

describe('condition trees', () => {
  it('round-trip every condition the API has, nested', () => {
    for (const c of every) expect(toApi(fromApi(c))).toEqual(c);
    const nested: Condition = { all: [{ any: every }, { not: { all: [{ not: 'always' }] } }] };
    expect(toApi(fromApi(nested))).toEqual(nested);
    expect(depth(fromApi(nested))).toBe(5);
  });

  it('offer a blank of every kind that the API accepts back', () => {
    for (const k of CONDITION_KINDS) {
      const n = blank(k);
      expect(n.kind).toBe(k);
      expect(fromApi(toApi(n)).kind).toBe(k);
    }
  });

  it('keep what carries over when a node changes kind', () => {
    const text = { ...blank('text_contains'), value: 'faktura' } as Node;
    expect(toApi(changeKind(text, 'text_matches'))).toEqual({ text_matches: 'faktura' });
    expect(toApi(changeKind(text, 'not'))).toEqual({ not: { text_contains: 'faktura' } });
    const all = fromApi({ all: [{ locale: 'da' }, { payload: 'X' }] });
    expect(toApi(changeKind(all, 'any'))).toEqual({ any: [{ locale: 'da' }, { payload: 'X' }] });
    expect(toApi(changeKind(all, 'not'))).toEqual({ not: { all: [{ locale: 'da' }, { payload: 'X' }] } });
    expect(toApi(changeKind(text, 'returning_customer'))).toEqual({ returning_customer: true });
  });

  it('replace and remove nodes anywhere in the tree', () => {
    const root = fromApi({ all: [{ locale: 'da' }, { not: { text_contains: 'spam' } }] });
    if (root.kind !== 'all') throw new Error('all');
    const not = root.children[1];
    if (not?.kind !== 'not') throw new Error('not');
    const edited = replace(root, not.child.key, { ...not.child, value: 'reklame' } as Node);
    expect(toApi(edited)).toEqual({ all: [{ locale: 'da' }, { not: { text_contains: 'reklame' } }] });
    expect(toApi(remove(edited, not.key))).toEqual({ all: [{ locale: 'da' }] });
    expect(toApi(root)).toEqual({ all: [{ locale: 'da' }, { not: { text_contains: 'spam' } }] });
  });
});

const classify: Ruleset = {
  id: 'classify',
  workstream: 'support',
  name: 'Classify',
  order: 1,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  kind: 'classification',
  rules: [
    {
      name: 'danish invoices',
      when: { all: [{ locale: 'da' }, { text_contains: 'faktura' }] },
      set: { skills: { billing: 5 }, priority: 1, attributes: { topic: 'billing' } },
    },
    { name: 'anything', when: 'always', set: {} },
  ],
};
const route: Ruleset = {
  ...classify,
  id: 'route',
  order: 2,
  kind: 'route_to_queue',
  rules: [{ name: 'billing topic', when: { attribute: { name: 'topic', equals: 'billing' } }, queue: 'billing' }],
};

describe('rulesets', () => {
  it('round-trip both kinds through the editor', () => {
    expect(kindAndRules(draftOf(classify))).toEqual({ kind: classify.kind, rules: classify.rules });
    expect(kindAndRules(draftOf(route))).toEqual({ kind: route.kind, rules: route.rules });
  });

  it('send outputs as numbers, without empty rows', () => {
    const d = draftOf(classify);
    const r = d.rules[0];
    if (!r) throw new Error('a rule');
    r.skills.push({ key: 1, name: ' ', value: '3' });
    r.skills.push({ key: 2, name: 'danish', value: '2' });
    r.priority = ' 3 ';
    expect(newRulesetBody({ ...d, id: ' new ' })).toMatchObject({
      id: 'new',
      rules: [{ set: { skills: { billing: 5, danish: 2 }, priority: 3, attributes: { topic: 'billing' } } }, { set: {} }],
    });
  });

  it('move rules and rulesets, and renumber only what changed', () => {
    expect(move(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(move(['a', 'b', 'c'], 0, -1)).toEqual(['a', 'b', 'c']);
    expect(move(['a', 'b', 'c'], 2, 1)).toEqual(['a', 'b', 'c']);
    const moved = move([classify, route, { ...route, id: 'late', order: 9 }], 2, -1);
    expect(renumber(moved)).toEqual([
      { id: 'late', order: 2 },
      { id: 'route', order: 3 },
    ]);
  });

  it('place a problem on the rule and the regular expression it names', () => {
    const rules = [blankRule('first'), { ...blankRule('bad "one"'), when: fromApi({ any: [{ text_matches: '(' }, { text_matches: 'ok' }] }) }];
    const detail = 'rule "bad \\"one\\"": the regular expression "(" does not compile: regex parse error';
    const at = problemPlace(detail, rules);
    const bad = rules[1];
    if (bad?.when.kind !== 'any') throw new Error('any');
    expect(at.rule).toBe(bad.key);
    expect(at.condition).toBe(bad.when.children[0]?.key);
    expect(problemPlace('every rule needs a name', rules)).toEqual({ rule: null, condition: null });
  });
});
