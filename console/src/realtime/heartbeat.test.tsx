import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import type { Api } from '../api/client';
import { HEARTBEAT_EVERY_MS, useHeartbeat } from './heartbeat';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function Beating({ api, enabled }: { api: Api; enabled: boolean }) {
  useHeartbeat(api, enabled);
  return null;
}

describe('useHeartbeat', () => {
  it('beats at once, every 30 s while mounted, and stops when unmounted', () => {
    vi.useFakeTimers();
    const post = vi.fn(() => Promise.resolve({ data: undefined }));
    const api = { agent: { POST: post } } as unknown as Api;
    const { unmount } = render(<Beating api={api} enabled />);
    expect(post).toHaveBeenCalledTimes(1);
    expect(post).toHaveBeenCalledWith('/agent/v1/heartbeat');
    vi.advanceTimersByTime(HEARTBEAT_EVERY_MS * 2);
    expect(post).toHaveBeenCalledTimes(3);
    unmount();
    vi.advanceTimersByTime(HEARTBEAT_EVERY_MS * 2);
    expect(post).toHaveBeenCalledTimes(3);
  });

  it('sends nothing for a session that is no agent', () => {
    vi.useFakeTimers();
    const post = vi.fn(() => Promise.resolve({ data: undefined }));
    render(<Beating api={{ agent: { POST: post } } as unknown as Api} enabled={false} />);
    vi.advanceTimersByTime(HEARTBEAT_EVERY_MS * 2);
    expect(post).not.toHaveBeenCalled();
  });
});
