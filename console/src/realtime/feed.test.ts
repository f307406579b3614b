import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventFeed, type FeedStatus } from './feed';
import type { AgentEvent } from '../api/types';

class FakeSocket {
  static all: FakeSocket[] = [];
  static OPEN = 1;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  send(data: string) {
    this.sent.push(data);
  }
  frame(e: Partial<AgentEvent> & { id: string }, cursor: string) {
    this.onmessage?.({ data: JSON.stringify({ event: { type: 'message', at: '2026-11-30T12:00:00Z', cursor, ...e }, cursor }) });
  }
  close() {
    this.onclose?.();
  }
}

function feed(events: AgentEvent[], statuses: FeedStatus[], flavour: 'serve' | 'aws' = 'serve') {
  return new EventFeed({
    apiUrl: 'http://127.0.0.1:8080',
    wsUrl: flavour === 'aws' ? 'wss://ws.example.com/live' : '',
    flavour,
    token: () => 'tok_1',
    onEvent: (e) => events.push(e),
    onStatus: (s) => statuses.push(s),
    onConnected: () => undefined,
    onUnauthenticated: () => undefined,
  });
}

beforeEach(() => {
  FakeSocket.all = [];
  vi.useFakeTimers();
  vi.stubGlobal('WebSocket', FakeSocket);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the live feed', () => {
  it('in AWS catches up from the last /events cursor, never a pushed one, and keeps the socket alive', async () => {
    const fetches: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: URL) => {
        fetches.push(url.toString());
        const body = fetches.length === 1 ? { events: [{ id: 'offer:x', type: 'offer', at: '2026-11-30T12:00:00Z', cursor: 'e1' }], cursor: 'e1' } : { events: [], cursor: 'e1' };
        return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
      }),
    );
    const events: AgentEvent[] = [];
    const f = feed(events, [], 'aws');
    f.start();
    const first = FakeSocket.all[0];
    if (!first) throw new Error('no socket');
    expect(new URL(first.url).searchParams.get('token')).toBe('tok_1');
    first.open();
    await vi.waitFor(() => expect(events.map((e) => e.id)).toEqual(['offer:x']));
    // A pushed event with a later cursor: shown, but the catch-up cursor stays.
    first.frame({ id: 'message:p' }, 'p9');
    expect(events.map((e) => e.id)).toEqual(['offer:x', 'message:p']);
    expect(f.lastCursor).toBe('e1');
    vi.advanceTimersByTime(5 * 60_000);
    expect(first.sent).toEqual(['{"action":"keepalive"}']);

    first.close();
    vi.advanceTimersByTime(500);
    const second = FakeSocket.all[1];
    if (!second) throw new Error('no reconnect');
    second.open();
    await vi.waitFor(() => expect(fetches.length).toBe(2));
    expect(new URL(fetches[1] ?? '').searchParams.get('after')).toBe('e1');
    f.stop();
  });

  it('sends the token as subprotocol, drops repeats by id and reconnects from the last cursor', () => {
    const events: AgentEvent[] = [];
    const statuses: FeedStatus[] = [];
    const f = feed(events, statuses);
    f.start();
    const first = FakeSocket.all[0];
    if (!first) throw new Error('no socket');
    expect(first.protocols).toEqual(['bearer.tok_1']);
    expect(new URL(first.url).searchParams.get('after')).toBeNull();
    first.open();
    first.frame({ id: 'message:a' }, 'c1');
    first.frame({ id: 'message:a' }, 'c1');
    first.frame({ id: 'message:b' }, 'c2');
    expect(events.map((e) => e.id)).toEqual(['message:a', 'message:b']);

    first.close();
    expect(statuses.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(500);
    const second = FakeSocket.all[1];
    if (!second) throw new Error('no reconnect');
    expect(new URL(second.url).searchParams.get('after')).toBe('c2');
    second.open();
    expect(statuses.at(-1)).toBe('live');
    second.frame({ id: 'message:b' }, 'c2');
    second.frame({ id: 'message:c' }, 'c3');
    expect(events.map((e) => e.id)).toEqual(['message:a', 'message:b', 'message:c']);
    f.stop();
  });

  it('long-polls from the cursor when the socket cannot connect', async () => {
    const fetches: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: URL, init?: RequestInit) => {
        fetches.push(url.toString());
        if (fetches.length > 1)
          // The next long poll waits until the feed stops.
          return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
        return Promise.resolve(new Response(JSON.stringify({ events: [{ id: 'offer:x', type: 'offer', at: '2026-11-30T12:00:00Z', cursor: 'p1' }], cursor: 'p1' }), { status: 200 }));
      }),
    );
    const events: AgentEvent[] = [];
    const statuses: FeedStatus[] = [];
    const f = feed(events, statuses);
    f.start();
    FakeSocket.all[0]?.close();
    vi.advanceTimersByTime(500);
    FakeSocket.all[1]?.close();
    vi.advanceTimersByTime(1000);
    FakeSocket.all[2]?.close();
    expect(statuses.at(-1)).toBe('polling');
    await vi.waitFor(() => expect(fetches.length).toBe(2));
    expect(events.map((e) => e.id)).toEqual(['offer:x']);
    expect(new URL(fetches[0] ?? '').searchParams.get('wait')).toBe('25');
    expect(new URL(fetches[1] ?? '').searchParams.get('after')).toBe('p1');
    f.stop();
  });
});
