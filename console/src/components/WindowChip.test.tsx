import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { WindowChip } from './WindowChip';
import { replyBlockedReason } from './ConversationView';
import { sortBySoonestWindow } from './Inbox';
import { bySoonestClose, formatDuration, formatMoment, windowState } from '../logic/messagingWindow';
import type { ConversationDetail, ConversationSummary, ReplyWindow } from '../api/types';
import { translator } from '../i18n/i18n';
import { renderEn } from '../test/render';

const H = 3_600_000;
const now = Date.parse('2026-11-30T12:00:00Z');
const at = (ms: number) => new Date(now + ms).toISOString();
// The server's reply_window (GET /agent/v1/conversations/{id}).
const allowed = (left: number, humanAgent = false): ReplyWindow => ({ reply: 'allowed', closes_at: at(left), human_agent: humanAgent, closed_at: null });
const tagged = (left: number): ReplyWindow => ({ reply: 'human_agent', closes_at: at(left), human_agent: true, closed_at: null });
const closed = (ago: number | null, humanAgent: boolean): ReplyWindow => ({ reply: 'closed', closes_at: null, human_agent: humanAgent, closed_at: ago === null ? null : at(-ago) });
const chip = () => screen.getByTitle('Messaging window');

afterEach(cleanup);

describe('the window countdown', () => {
  it('counts down to the server’s closes_at while a reply is allowed', () => {
    renderEn(<WindowChip replyWindow={allowed(21 * H)} now={now} />);
    expect(chip().textContent).toContain('Window closes in 21 h');
    expect(chip().className).toContain('tone-neutral');
    expect(chip().getAttribute('data-window')).toBe('allowed');
  });

  it('turns amber under 4 hours and red under 1 hour', () => {
    const { unmount } = renderEn(<WindowChip replyWindow={allowed(3 * H)} now={now} />);
    expect(chip().textContent).toContain('Window closes in 3 h');
    expect(chip().className).toContain('tone-amber');
    unmount();
    renderEn(<WindowChip replyWindow={allowed(H / 2)} now={now} />);
    expect(chip().textContent).toContain('Window closes in 30 min');
    expect(chip().className).toContain('tone-red');
  });

  it('shows HUMAN_AGENT until the time the server gives', () => {
    renderEn(<WindowChip replyWindow={tagged(5 * 24 * H)} now={now} />);
    expect(chip().textContent).toContain(`HUMAN_AGENT until ${formatMoment(now + 5 * 24 * H, 'en')}`);
    expect(chip().getAttribute('data-window')).toBe('human_agent');
  });

  it('shows Closed when the server says closed, whatever the time', () => {
    renderEn(<WindowChip replyWindow={closed(H, false)} now={now} />);
    expect(chip().textContent).toContain('Closed');
    expect(chip().getAttribute('data-window')).toBe('closed');
  });

  it('ticks: the same answer later leaves less time', () => {
    const w = allowed(3 * H);
    const a = windowState(w, now);
    const b = windowState(w, now + 90 * 60_000);
    expect(a.kind === 'allowed' && b.kind === 'allowed' && a.msLeft - b.msLeft).toBe(90 * 60_000);
  });

  it('past closes_at the answer is stale (read again), not guessed', () => {
    expect(windowState(allowed(H, true), now + 2 * H)).toEqual({ kind: 'stale', tone: 'neutral' });
    renderEn(<WindowChip replyWindow={tagged(H)} now={now + 2 * H} />);
    expect(chip().textContent).toContain('Checking the window…');
  });

  it('formats durations as an agent reads them', () => {
    expect(formatDuration(42_000)).toBe('0:42');
    expect(formatDuration(45 * 60_000)).toBe('45 min');
    expect(formatDuration(21 * H)).toBe('21 h');
    expect(formatDuration(5 * 24 * H)).toBe('5 d');
  });
});

describe('the inbox order', () => {
  it('puts the window that closes soonest first, closed ones last', () => {
    const conv = (id: string, reply_window: ReplyWindow) => ({ id, reply_window }) as ConversationSummary;
    const list = [conv('closed', closed(H, false)), conv('late', tagged(3 * 24 * H)), conv('soon', allowed(2 * H)), conv('mid', allowed(20 * H))];
    expect(sortBySoonestWindow(list).map((c) => c.id)).toEqual(['soon', 'mid', 'late', 'closed']);
    expect(bySoonestClose(closed(H, true), closed(2 * H, false))).toBe(0);
  });
});

describe('why no reply is allowed', () => {
  const detail = (reply_window: ReplyWindow) => ({ id: 'cv_1', state: 'assigned', agent_id: 'anna', reply_window }) as ConversationDetail;
  const reason = (w: ReplyWindow, lang: 'en' | 'da' = 'en') => replyBlockedReason(translator(lang), lang, detail(w), 'anna', false, windowState(w, now));

  it('says the 24 hours closed and the workstream does not use HUMAN_AGENT', () => {
    const text = reason(closed(24 * H, false));
    expect(text).toContain(`The 24-hour messaging window closed at ${formatMoment(now - 24 * H, 'en')}`);
    expect(text).toContain('this workstream does not use HUMAN_AGENT');
    expect(reason(closed(24 * H, false), 'da')).toContain('denne arbejdsstrøm bruger ikke HUMAN_AGENT');
  });

  it('says the 7-day HUMAN_AGENT window closed', () => {
    expect(reason(closed(H, true))).toContain('The 7-day HUMAN_AGENT window closed at');
  });

  it('says the customer has not written', () => {
    expect(reason(closed(null, false))).toContain('has not written');
  });

  it('lets the agent reply while allowed or tagged', () => {
    expect(reason(allowed(H))).toBeNull();
    expect(reason(tagged(H))).toBeNull();
  });
});
