import { describe, expect, it } from 'vitest';
import { displayState } from './StateBadge';
import type { Page } from './useChannels';

const page = (state: Page['provisioning']['state'], reason?: string): Page => ({
  page_id: '1',
  account_id: 'a',
  name: 'P',
  callback_url: 'http://x/webhooks/facebook/a',
  provisioning: { state, updated_at: '2026-11-30T12:00:00Z', ...(reason ? { reason } : {}) },
  conversation_routing: { mode: 'owner' },
  created_at: '2026-11-30T12:00:00Z',
  updated_at: '2026-11-30T12:00:00Z',
});

describe('displayState', () => {
  it('shows a running page with a reason as running with a warning, not as an error', () => {
    expect(displayState(page('running', 'Running, but subscribed without standby'))).toBe('warning');
    expect(displayState(page('running'))).toBe('running');
    expect(displayState(page('error', 'not valid'))).toBe('error');
  });
});
