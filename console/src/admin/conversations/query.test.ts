// The search kept in the address reads back as it was written, and the API
// query carries the times as RFC 3339.
import { describe, expect, it } from 'vitest';
import { apiQuery, filtersFrom, NO_FILTERS, searchOf } from './query';

describe('conversation search in the address', () => {
  it('round-trips the filters and the open conversation', () => {
    const f = { ...NO_FILTERS, state: 'closed', agent_id: 'ana', from: '2026-11-30T09:00' };
    const s = searchOf(f, 'c-1');
    expect(filtersFrom(s)).toEqual({ filters: f, open: 'c-1' });
    expect(searchOf(NO_FILTERS, null)).toBe('');
  });
  it('sends only what is set, times as instants', () => {
    const q = apiQuery({ ...NO_FILTERS, queue_id: 'billing', from: '2026-11-30T09:00', to: 'soon' }, 'abc');
    expect(q.queue_id).toBe('billing');
    expect(q.from).toBe(new Date('2026-11-30T09:00').toISOString());
    expect(q.to).toBe('soon');
    expect(q.cursor).toBe('abc');
    expect(q.state).toBeUndefined();
  });
});
