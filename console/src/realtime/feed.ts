// The agent's live feed: a WebSocket (serve: /agent/v1/stream with the token as
// subprotocol `bearer.<token>`; AWS: ws_url?token=), reconnecting with backoff
// from the last cursor so nothing is missed; long polling
// (GET /agent/v1/events?wait=25&after=) when the socket cannot connect.
// Repeated events (same id) are dropped.
//
// In AWS the socket only carries what is pushed after it connected, and a
// pushed event's cursor may run ahead of one another function stores a moment
// later; so there the catch-up cursor moves only with GET /agent/v1/events
// answers (which hold back the newest second), never with pushed frames, and
// a keep-alive goes every 5 minutes (API Gateway closes a socket idle for 10).
import type { AgentEvent } from '../api/types';

export type FeedStatus = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'stopped';

export interface FeedOptions {
  /** http(s) origin of the API ('' = this page's). */
  apiUrl: string;
  /** The WebSocket URL; '' derives `/agent/v1/stream` from apiUrl (serve). */
  wsUrl: string;
  /** serve: token as subprotocol, the socket replays from `after`; aws: token in the query, catch up by GET. */
  flavour: 'serve' | 'aws';
  token: () => string | null;
  onEvent: (e: AgentEvent) => void;
  onStatus: (s: FeedStatus) => void;
  /** Called when (re)connected: the screen refetches what it shows. */
  onConnected: () => void;
  onUnauthenticated: () => void;
}

const SEEN_LIMIT = 2000;
const POLL_WAIT_SECONDS = 25;
/** Failed connects (never opened) before falling back to long polling. */
const FAILURES_BEFORE_POLLING = 3;
/** While polling, try the socket again at most this often. */
const SOCKET_RETRY_WHILE_POLLING_MS = 10_000;
/** AWS: API Gateway closes a WebSocket idle for 10 minutes. */
const KEEP_ALIVE_MS = 5 * 60_000;

export function backoffMs(attempt: number): number {
  return Math.min(15_000, 500 * 2 ** Math.max(0, attempt));
}

interface Frame {
  event: AgentEvent;
  cursor: string;
}

function isFrame(v: unknown): v is Frame {
  if (!v || typeof v !== 'object') return false;
  const f = v as Record<string, unknown>;
  const e = f.event as Record<string, unknown> | undefined;
  return typeof f.cursor === 'string' && !!e && typeof e.id === 'string' && typeof e.type === 'string';
}

export class EventFeed {
  private cursor: string | null = null;
  private seen = new Set<string>();
  private socket: WebSocket | null = null;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private mode: 'socket' | 'poll' = 'socket';
  private pollAbort: AbortController | null = null;
  private status: FeedStatus = 'connecting';
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly opts: FeedOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopKeepAlive();
    this.pollAbort?.abort();
    const s = this.socket;
    this.socket = null;
    s?.close();
    this.setStatus('stopped');
  }

  /** The cursor to continue from. */
  get lastCursor(): string | null {
    return this.cursor;
  }

  private setStatus(s: FeedStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.opts.onStatus(s);
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private deliver(e: AgentEvent, cursor: string | null): void {
    if (cursor) this.cursor = cursor;
    if (this.seen.has(e.id)) return;
    this.seen.add(e.id);
    if (this.seen.size > SEEN_LIMIT) {
      const first = this.seen.values().next();
      if (!first.done) this.seen.delete(first.value);
    }
    this.opts.onEvent(e);
  }

  private socketUrl(token: string): string {
    const base = this.opts.wsUrl || `${this.opts.apiUrl || window.location.origin}/agent/v1/stream`;
    const url = new URL(base.replace(/^http/, 'ws'), window.location.href);
    if (url.protocol === 'http:') url.protocol = 'ws:';
    if (url.protocol === 'https:') url.protocol = 'wss:';
    if (this.opts.flavour === 'aws') url.searchParams.set('token', token);
    if (this.cursor) url.searchParams.set('after', this.cursor);
    return url.toString();
  }

  private connect(): void {
    if (this.stopped) return;
    const token = this.opts.token();
    if (!token) return;
    let opened = false;
    let ws: WebSocket;
    try {
      ws = this.opts.flavour === 'serve' ? new WebSocket(this.socketUrl(token), [`bearer.${token}`]) : new WebSocket(this.socketUrl(token));
    } catch {
      this.socketFailed(false);
      return;
    }
    this.socket = ws;
    ws.onopen = () => {
      opened = true;
      this.failures = 0;
      this.mode = 'socket';
      this.pollAbort?.abort();
      this.setStatus('live');
      if (this.opts.flavour === 'aws') {
        void this.catchUp();
        this.stopKeepAlive();
        this.keepAlive = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send('{"action":"keepalive"}');
        }, KEEP_ALIVE_MS);
      }
      this.opts.onConnected();
    };
    ws.onmessage = (m: MessageEvent) => {
      if (typeof m.data !== 'string') return;
      let v: unknown;
      try {
        v = JSON.parse(m.data);
      } catch {
        return;
      }
      // AWS: a pushed cursor does not move the catch-up cursor (see above).
      if (isFrame(v)) this.deliver(v.event, this.opts.flavour === 'aws' ? null : v.cursor);
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = null;
      this.stopKeepAlive();
      this.socketFailed(opened);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private socketFailed(hadOpened: boolean): void {
    if (this.stopped) return;
    if (hadOpened) this.failures = 0;
    this.failures += 1;
    if (this.mode === 'poll') return; // the poll loop goes on
    if (this.failures >= FAILURES_BEFORE_POLLING) {
      this.mode = 'poll';
      this.setStatus('polling');
      void this.pollLoop();
      return;
    }
    this.setStatus('reconnecting');
    this.timer = setTimeout(() => this.connect(), backoffMs(this.failures - 1));
  }

  /** AWS: the socket carries only new events; fetch what came since the cursor. */
  private async catchUp(): Promise<void> {
    const answer = await this.fetchEvents(0);
    if (answer) for (const e of answer.events) this.deliver(e, e.cursor || null);
    if (answer?.cursor) this.cursor = answer.cursor;
  }

  private async fetchEvents(wait: number): Promise<{ events: AgentEvent[]; cursor: string | null } | null> {
    const token = this.opts.token();
    if (!token) return null;
    const url = new URL(`${this.opts.apiUrl || window.location.origin}/agent/v1/events`, window.location.href);
    url.searchParams.set('wait', String(wait));
    if (this.cursor) url.searchParams.set('after', this.cursor);
    this.pollAbort = new AbortController();
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: this.pollAbort.signal });
    if (res.status === 401) {
      this.opts.onUnauthenticated();
      return null;
    }
    if (!res.ok) throw new Error(`events: ${res.status}`);
    return (await res.json()) as { events: AgentEvent[]; cursor: string | null };
  }

  private async pollLoop(): Promise<void> {
    let lastTry = Date.now();
    let errors = 0;
    this.opts.onConnected();
    while (!this.stopped && this.mode === 'poll') {
      try {
        const started = Date.now();
        const answer = await this.fetchEvents(POLL_WAIT_SECONDS);
        if (!answer) return;
        errors = 0;
        for (const e of answer.events) this.deliver(e, e.cursor || null);
        if (answer.cursor) this.cursor = answer.cursor;
        // An early empty answer (another poll took this one's place): pause before the next.
        if (answer.events.length === 0 && Date.now() - started < 1000) await new Promise((r) => setTimeout(r, 1000));
      } catch {
        if (this.stopped || this.mode !== 'poll') return;
        errors += 1;
        await new Promise((r) => setTimeout(r, backoffMs(errors)));
      }
      if (Date.now() - lastTry >= SOCKET_RETRY_WHILE_POLLING_MS && !this.socket) {
        lastTry = Date.now();
        this.connect();
      }
    }
  }
}
