// Overflow rules convert to and from the API's Overflow.
import { describe, expect, it } from 'vitest';
import { overflowFromApi, overflowToApi } from './overflow';

describe('overflow', () => {
  it('no rules is an empty object, and back', () => {
    const m = overflowFromApi({});
    expect(m.out_of_hours.action).toBe('none');
    expect(overflowToApi(m)).toEqual({});
  });

  it('round-trips each action with its limit', () => {
    const api = {
      out_of_hours: { action: 'end', message: 'We are closed.' },
      max_waiting: { action: 'transfer', queue: 'general', items: 20 },
      max_wait: { action: 'queue_anyway', seconds: 600 },
    };
    const m = overflowFromApi(api);
    expect(m.max_waiting).toEqual({ action: 'transfer', queue: 'general', message: '', limit: '20' });
    expect(overflowToApi(m)).toEqual(api);
  });

  it('ends without a message when none is typed; a bad limit goes as null for the API to refuse', () => {
    const m = overflowFromApi({});
    m.out_of_hours = { action: 'end', queue: '', message: '  ', limit: '' };
    m.max_wait = { action: 'queue_anyway', queue: '', message: '', limit: 'soon' };
    expect(JSON.parse(JSON.stringify(overflowToApi(m)))).toEqual({ out_of_hours: { action: 'end' }, max_wait: { action: 'queue_anyway', seconds: null } });
  });

  it('reads unknown shapes as no rule', () => {
    expect(overflowFromApi(null).max_wait.action).toBe('none');
    expect(overflowFromApi({ out_of_hours: { action: 'explode' } }).out_of_hours.action).toBe('none');
  });
});
