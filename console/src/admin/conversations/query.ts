// The conversation search as the address keeps it (?page_id=&state=&queue_id=
// &agent_id=&from=&to=&conversation=), and the API query made from it
// (from/to typed as local date-times, sent as RFC 3339).
import type { AdminPaths } from '../../api/types';

export type ApiQuery = NonNullable<AdminPaths['/admin/v1/conversations']['get']['parameters']['query']>;
export type State = NonNullable<ApiQuery['state']>;
export const STATES: State[] = ['bot', 'waiting', 'offered', 'assigned', 'wrap_up', 'closed'];

export interface Filters {
  page_id: string;
  state: string;
  queue_id: string;
  agent_id: string;
  /** As a datetime-local input holds it (YYYY-MM-DDTHH:mm, local time). */
  from: string;
  to: string;
}

const KEYS = ['page_id', 'state', 'queue_id', 'agent_id', 'from', 'to'] as const;

export const NO_FILTERS: Filters = { page_id: '', state: '', queue_id: '', agent_id: '', from: '', to: '' };

export function filtersFrom(search: string): { filters: Filters; open: string | null } {
  const q = new URLSearchParams(search);
  const filters = { ...NO_FILTERS };
  for (const k of KEYS) filters[k] = q.get(k) ?? '';
  return { filters, open: q.get('conversation') };
}

export function searchOf(filters: Filters, open: string | null): string {
  const q = new URLSearchParams();
  for (const k of KEYS) if (filters[k]) q.set(k, filters[k]);
  if (open) q.set('conversation', open);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** A datetime-local value as RFC 3339 (UTC); what is not a time goes as typed, for the API to refuse. */
function instant(local: string): string {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/** Conversations a page asks for. */
export const PAGE_SIZE = 50;

export function apiQuery(f: Filters, cursor: string | null): ApiQuery {
  const q: ApiQuery = { limit: PAGE_SIZE };
  if (f.page_id) q.page_id = f.page_id;
  if (f.state) q.state = f.state as State;
  if (f.queue_id) q.queue_id = f.queue_id;
  if (f.agent_id) q.agent_id = f.agent_id;
  if (f.from) q.from = instant(f.from);
  if (f.to) q.to = instant(f.to);
  if (cursor) q.cursor = cursor;
  return q;
}
