// The overflow rules' model and its conversion to and from the API's
// Overflow: out of hours, too many waiting (items), waited too long
// (seconds), each transfer to a queue, end with a message, or queue anyway.
import type { AdminSchemas } from '../../api/types';

export type Overflow = AdminSchemas['Overflow'];
export type OverflowAction = AdminSchemas['OverflowAction'];
export const RULES = ['out_of_hours', 'max_waiting', 'max_wait'] as const;
export type Rule = (typeof RULES)[number];
export type ActionKind = 'none' | OverflowAction['action'];

export interface RuleModel {
  action: ActionKind;
  queue: string;
  message: string;
  /** items (max_waiting) or seconds (max_wait), as typed. */
  limit: string;
}

export type OverflowModel = Record<Rule, RuleModel>;

const none = (): RuleModel => ({ action: 'none', queue: '', message: '', limit: '' });

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function ruleFrom(v: unknown, limitKey: 'items' | 'seconds' | null): RuleModel {
  if (!v || typeof v !== 'object' || !('action' in v)) return none();
  const o = v as Record<string, unknown>;
  const action = o.action === 'transfer' || o.action === 'end' || o.action === 'queue_anyway' ? o.action : 'none';
  return { action, queue: str(o.queue), message: str(o.message), limit: limitKey ? str(o[limitKey]) : '' };
}

/** The model of a queue's overflow as the API returns it (an object). */
export function overflowFromApi(o: unknown): OverflowModel {
  const r = (o && typeof o === 'object' ? o : {}) as Record<string, unknown>;
  return { out_of_hours: ruleFrom(r.out_of_hours, null), max_waiting: ruleFrom(r.max_waiting, 'items'), max_wait: ruleFrom(r.max_wait, 'seconds') };
}

function actionOf(m: RuleModel): OverflowAction | null {
  switch (m.action) {
    case 'none':
      return null;
    case 'transfer':
      return { action: 'transfer', queue: m.queue };
    case 'end':
      return m.message.trim() ? { action: 'end', message: m.message } : { action: 'end' };
    case 'queue_anyway':
      return { action: 'queue_anyway' };
  }
}

/** A typed limit; what is not a number goes as null and the API says why. */
function limit(s: string): number {
  return s.trim() === '' ? NaN : Number(s.trim());
}

export function overflowToApi(m: OverflowModel): Overflow {
  const out: Overflow = {};
  const ooh = actionOf(m.out_of_hours);
  if (ooh) out.out_of_hours = ooh;
  const mw = actionOf(m.max_waiting);
  if (mw) out.max_waiting = { ...mw, items: limit(m.max_waiting.limit) };
  const mt = actionOf(m.max_wait);
  if (mt) out.max_wait = { ...mt, seconds: limit(m.max_wait.limit) };
  return out;
}
