// Meta's messaging window as the agent sees it. The server decides (the
// conversation's `reply_window`, by the rule its reply route applies): a reply
// is allowed (RESPONSE) until closes_at, goes out tagged HUMAN_AGENT until
// closes_at, or is closed. The console only counts down to closes_at; once it
// has passed, the answer is stale and the conversation is read again.
import type { ReplyWindow } from '../api/types';

const HOUR = 3_600_000;

export type WindowTone = 'neutral' | 'amber' | 'red' | 'closed';

export type WindowState =
  /** Inside the 24 hours: RESPONSE. `humanAgent`: the workstream uses the tag. */
  | { kind: 'allowed'; closesAt: number; msLeft: number; humanAgent: boolean; tone: WindowTone }
  /** Past 24 hours: only a HUMAN_AGENT-tagged reply, until closesAt. */
  | { kind: 'human_agent'; closesAt: number; msLeft: number; tone: WindowTone }
  /** No reply: `closedAt` null before the customer has written. */
  | { kind: 'closed'; closedAt: number | null; humanAgent: boolean; tone: 'closed' }
  /** closes_at has passed since the server answered: read the conversation again. */
  | { kind: 'stale'; tone: 'neutral' };

function tone(msLeft: number): WindowTone {
  if (msLeft < HOUR) return 'red';
  if (msLeft < 4 * HOUR) return 'amber';
  return 'neutral';
}

function ms(at: string | null | undefined): number | null {
  const t = at ? Date.parse(at) : NaN;
  return Number.isNaN(t) ? null : t;
}

/** The server's reply window, counted down to `now`. */
export function windowState(w: ReplyWindow, now: number): WindowState {
  if (w.reply === 'closed') return { kind: 'closed', closedAt: ms(w.closed_at), humanAgent: w.human_agent, tone: 'closed' };
  const closesAt = ms(w.closes_at);
  if (closesAt === null || closesAt <= now) return { kind: 'stale', tone: 'neutral' };
  const left = closesAt - now;
  return w.reply === 'human_agent'
    ? { kind: 'human_agent', closesAt, msLeft: left, tone: tone(left) }
    : { kind: 'allowed', closesAt, msLeft: left, humanAgent: w.human_agent, tone: tone(left) };
}

/** When the server's answer runs out (closes_at), or null when it does not. */
export function closesAt(w: ReplyWindow): number | null {
  return w.reply === 'closed' ? null : ms(w.closes_at);
}

/** Inbox order: the window that closes soonest first; closed ones last. */
export function bySoonestClose(a: ReplyWindow, b: ReplyWindow): number {
  const ca = closesAt(a) ?? Infinity;
  const cb = closesAt(b) ?? Infinity;
  return ca === cb ? 0 : ca < cb ? -1 : 1;
}

/** "3 h", "45 min", "5 d", "0:42" style durations. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 3600) {
    const m = Math.floor(s / 60);
    if (m >= 10) return `${m} min`;
    return `${m}:${String(s % 60).padStart(2, '0')}`;
  }
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** A moment as an agent reads it, in the interface's language: "30/11/2026, 14:05". */
export function formatMoment(ms: number, lang: string): string {
  return new Date(ms).toLocaleString(lang === 'da' ? 'da-DK' : 'en-GB', { dateStyle: 'short', timeStyle: 'short' });
}
