// The agent editor's draft (what the administrator types, kept as typed) and
// the API bodies made from it.
import type { AdminSchemas } from '../../api/types';
import { newRow, rowsOf, type NameValueRow } from '../form/rows';

export type Agent = AdminSchemas['Agent'];
export type NewAgent = AdminSchemas['NewAgent'];
export type AgentPatch = AdminSchemas['AgentPatch'];

/** One name-and-number row (a skill and its level, a profile and its limit). */
export type Row = NameValueRow;
export { newRow };

export interface Draft {
  id: string;
  name: string;
  email: string;
  capacity: string;
  skills: Row[];
  profiles: Row[];
  queues: string[];
}

export function emptyDraft(): Draft {
  return { id: '', name: '', email: '', capacity: '3', skills: [], profiles: [], queues: [] };
}

export function draftOf(a: Agent): Draft {
  return {
    id: a.id,
    name: a.name,
    email: a.email,
    capacity: String(a.capacity),
    skills: rowsOf(a.skills),
    profiles: rowsOf(a.profiles),
    queues: [...a.queues],
  };
}

/** A number as typed; what is not one goes as typed, so the API says what is wrong. */
function num(s: string): number {
  const t = s.trim();
  return t === '' ? Number.NaN : Number(t);
}

function map(rows: Row[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.name.trim()] = num(r.value);
  return out;
}

/** What a new agent and a change to one both carry. */
function fieldsOf(d: Draft) {
  return {
    name: d.name,
    email: d.email,
    capacity: num(d.capacity),
    skills: map(d.skills),
    profiles: map(d.profiles),
    queues: d.queues,
  };
}

export function patchOf(d: Draft): AgentPatch {
  return fieldsOf(d);
}

export function newAgentOf(d: Draft): NewAgent {
  return { id: d.id.trim(), ...fieldsOf(d) };
}

/** The form's fields, for `formProblem`. */
export const FIELDS = ['id', 'name', 'email', 'capacity', 'skills', 'profiles', 'queues'] as const;

/** The first number field that is not a whole number (the API refuses those without naming the field). */
export function notWholeNumber(d: Draft): (typeof FIELDS)[number] | null {
  const bad = (s: string) => !/^\s*\d+\s*$/.test(s);
  if (bad(d.capacity)) return 'capacity';
  if (d.skills.some((r) => bad(r.value))) return 'skills';
  if (d.profiles.some((r) => bad(r.value))) return 'profiles';
  return null;
}

/** Which field an API problem about an agent concerns, where its code says more than `formProblem` reads. */
export function agentField(code: string | null, detail: string): (typeof FIELDS)[number] | null {
  switch (code) {
    case 'invalid_skill':
      return 'skills';
    case 'unknown_queue':
      return 'queues';
    case 'invalid_capacity':
      return detail.startsWith('profile') ? 'profiles' : 'capacity';
    case 'invalid_body':
      return /\bskill\b/.test(detail) ? 'skills' : /\bprofile\b/.test(detail) ? 'profiles' : /\bqueue\b/.test(detail) ? 'queues' : null;
    default:
      return null;
  }
}
