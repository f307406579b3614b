import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { WindowChip } from './WindowChip';
import { formatDuration, windowState } from '../logic/messagingWindow';
import { renderEn } from '../test/render';

const H = 3_600_000;
const now = Date.parse('2026-11-30T12:00:00Z');
const ago = (ms: number) => new Date(now - ms).toISOString();

afterEach(cleanup);

describe('the window countdown', () => {
  it('counts down the 24 hours from the customer’s last message', () => {
    renderEn(<WindowChip lastCustomerMessageAt={ago(3 * H)} now={now} />);
    const chip = screen.getByText(/21 h left/);
    expect(chip.closest('.window-chip')?.className).toContain('tone-neutral');
  });

  it('turns amber under 4 hours and red under 1 hour', () => {
    const { unmount } = renderEn(<WindowChip lastCustomerMessageAt={ago(21 * H)} now={now} />);
    expect(screen.getByText(/3 h left/).closest('.window-chip')?.className).toContain('tone-amber');
    unmount();
    renderEn(<WindowChip lastCustomerMessageAt={ago(23.5 * H)} now={now} />);
    expect(screen.getByText(/30 min left/).closest('.window-chip')?.className).toContain('tone-red');
  });

  it('shows HUMAN_AGENT time between 24 hours and 7 days, and Closed after', () => {
    const { unmount } = renderEn(<WindowChip lastCustomerMessageAt={ago(2 * 24 * H)} now={now} />);
    expect(screen.getByText(/HUMAN_AGENT · 5 d left/)).toBeTruthy();
    unmount();
    renderEn(<WindowChip lastCustomerMessageAt={ago(8 * 24 * H)} now={now} />);
    expect(screen.getByText(/Closed/).closest('.window-chip')?.getAttribute('data-window')).toBe('closed');
  });

  it('is closed before the customer has written', () => {
    expect(windowState(null, now)).toMatchObject({ kind: 'closed', reason: 'not_written' });
  });

  it('is closed after 24 hours when the workstream does not use the tag', () => {
    expect(windowState(ago(25 * H), now, false)).toMatchObject({ kind: 'closed', reason: 'closed_24h', closedAt: now - H });
  });

  it('ticks: the same message later leaves less time', () => {
    const last = ago(0);
    const a = windowState(last, now);
    const b = windowState(last, now + 90 * 60_000);
    expect(a.kind === 'open' && b.kind === 'open' && a.msLeft - b.msLeft).toBe(90 * 60_000);
  });

  it('formats durations as an agent reads them', () => {
    expect(formatDuration(42_000)).toBe('0:42');
    expect(formatDuration(45 * 60_000)).toBe('45 min');
    expect(formatDuration(21 * H)).toBe('21 h');
    expect(formatDuration(5 * 24 * H)).toBe('5 d');
  });
});
