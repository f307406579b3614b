// Meta's messaging window as the agent sees it (the server's rule is
// shared/core/src/window.rs): a reply goes out as RESPONSE within 24 hours of
// the customer's last message; from 24 hours to 7 days only with the
// workstream's HUMAN_AGENT tag; never after 7 days or before the customer wrote.

const HOUR = 3_600_000;
export const WINDOW_24H = 24 * HOUR;
export const WINDOW_7D = 7 * 24 * HOUR;

export type WindowTone = 'neutral' | 'amber' | 'red' | 'closed';

export type WindowState =
  | { kind: 'open'; closesAt: number; msLeft: number; tone: WindowTone }
  /** Past 24 hours, within 7 days: only a HUMAN_AGENT-tagged reply may go out. */
  | { kind: 'human_agent'; closesAt: number; msLeft: number; standardClosedAt: number; tone: WindowTone }
  | { kind: 'closed'; closedAt: number | null; reason: 'not_written' | 'closed_24h' | 'closed_7d'; tone: 'closed' };

function tone(msLeft: number): WindowTone {
  if (msLeft < HOUR) return 'red';
  if (msLeft < 4 * HOUR) return 'amber';
  return 'neutral';
}

/**
 * The window now. `humanAgentTag`: whether the workstream uses the tag; `null`
 * when the console cannot know, in which case the 24 h to 7 day span is shown as
 * "HUMAN_AGENT only" and the server decides.
 */
export function windowState(
  lastCustomerMessageAt: string | null | undefined,
  now: number,
  humanAgentTag: boolean | null = null,
): WindowState {
  const last = lastCustomerMessageAt ? Date.parse(lastCustomerMessageAt) : NaN;
  if (Number.isNaN(last)) return { kind: 'closed', closedAt: null, reason: 'not_written', tone: 'closed' };
  const standard = last + WINDOW_24H;
  if (now < standard) return { kind: 'open', closesAt: standard, msLeft: standard - now, tone: tone(standard - now) };
  const tagged = last + WINDOW_7D;
  if (humanAgentTag === false) return { kind: 'closed', closedAt: standard, reason: 'closed_24h', tone: 'closed' };
  if (now < tagged)
    return { kind: 'human_agent', closesAt: tagged, msLeft: tagged - now, standardClosedAt: standard, tone: tone(tagged - now) };
  return { kind: 'closed', closedAt: tagged, reason: 'closed_7d', tone: 'closed' };
}

/** Milliseconds left until the window closes (0 when closed): inbox order, soonest first. */
export function msLeft(w: WindowState): number {
  return w.kind === 'closed' ? 0 : w.msLeft;
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
