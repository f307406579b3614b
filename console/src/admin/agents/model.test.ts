// The agent editor's draft: read from an agent, and sent as typed (a level
// that is not a number goes as one the API refuses, never silently dropped).
import { describe, expect, it } from 'vitest';
import { agentField, draftOf, emptyDraft, newAgentOf, newRow, notWholeNumber, patchOf, type Agent } from './model';

describe('agent drafts', () => {
  it('round-trips an agent', () => {
    const agent = {
      id: 'ana',
      name: 'Ana',
      email: 'ana@example.com',
      skills: { billing: 7 },
      capacity: 3,
      profiles: { chat: 2 },
      queues: ['billing'],
    } as unknown as Agent;
    const d = draftOf(agent);
    expect(d.skills.map((r) => [r.name, r.value])).toEqual([['billing', '7']]);
    expect(patchOf(d)).toEqual({ name: 'Ana', email: 'ana@example.com', capacity: 3, skills: { billing: 7 }, profiles: { chat: 2 }, queues: ['billing'] });
  });
  it('sends a new agent as typed', () => {
    const d = { ...emptyDraft(), id: ' dora ', name: 'Dora', email: 'd@example.com', skills: [newRow('danish', ''), newRow('billing', '6')] };
    const body = newAgentOf(d);
    expect(body.id).toBe('dora');
    expect(body.capacity).toBe(3);
    expect(body.skills?.billing).toBe(6);
    expect(Number.isNaN(body.skills?.danish)).toBe(true);
    expect(notWholeNumber(d)).toBe('skills');
    expect(notWholeNumber({ ...d, capacity: 'x' })).toBe('capacity');
    expect(notWholeNumber({ ...d, skills: [newRow('danish', '4')] })).toBeNull();
  });
  it('names the field an API problem concerns', () => {
    expect(agentField('invalid_capacity', 'profile chat has limit 0; use 1 to 1000')).toBe('profiles');
    expect(agentField('invalid_skill', 'skill billing has proficiency 11; use 1 to 10')).toBe('skills');
    expect(agentField('unknown_queue', 'agent x names queue nope')).toBe('queues');
    expect(agentField('invalid_body', 'skill "" is not valid')).toBe('skills');
    expect(agentField('conflict', 'agent anna already exists')).toBeNull();
  });
});
