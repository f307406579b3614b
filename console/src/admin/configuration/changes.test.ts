// The change sentences of the apply report, grouped as the diff shows them.
import { describe, expect, it } from 'vitest';
import { classify, groupChanges } from './changes';

describe('classify', () => {
  it('reads the action and the kind from the sentence', () => {
    expect(classify('create queue vip')).toMatchObject({ action: 'created', kind: 'queue' });
    expect(classify('connect page 104857600000001 to account acme')).toMatchObject({ action: 'created', kind: 'page' });
    expect(classify('remove canned response hej')).toMatchObject({ action: 'removed', kind: 'canned' });
    expect(classify('rename account acme to "Acme"')).toMatchObject({ action: 'updated', kind: 'account' });
    expect(classify("replace page 1's token")).toMatchObject({ action: 'updated', kind: 'page' });
    expect(classify('update workstream support')).toMatchObject({ action: 'updated', kind: 'workstream' });
    expect(classify('something new')).toMatchObject({ action: 'updated', kind: 'other' });
  });
});

describe('groupChanges', () => {
  it('groups created, changed and removed, leaving out empty groups', () => {
    const groups = groupChanges(['remove agent bo', 'create queue vip', 'update workstream support', 'create agent cy']);
    expect(groups.map((g) => [g.action, g.items.map((c) => c.text)])).toEqual([
      ['created', ['create queue vip', 'create agent cy']],
      ['updated', ['update workstream support']],
      ['removed', ['remove agent bo']],
    ]);
    expect(groupChanges([])).toEqual([]);
  });
});
