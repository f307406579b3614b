import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { WindowClosingAlerts } from './WindowClosingAlerts';
import { renderEn } from '../test/render';
import type { Overview } from '../screens/SupervisorView';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const agents = [{ agent_id: 'anna', name: 'Anna' }] as unknown as Overview['agents'];

describe('WindowClosingAlerts', () => {
  it('says where each escalated customer is and when their window closes', () => {
    vi.useFakeTimers({ now: Date.parse('2026-01-06T09:00:00Z') });
    const open = vi.fn();
    renderEn(
      <WindowClosingAlerts
        agents={agents}
        onOpen={open}
        alerts={[
          { conversation_id: 'cv_1', state: 'assigned', queue_id: 'general', agent_id: 'anna', customer_wrote_at: '2026-01-05T09:30:00Z', window_closes_at: '2026-01-06T09:30:00Z' },
          { conversation_id: 'cv_2', state: 'waiting', queue_id: 'general', agent_id: null, customer_wrote_at: '2026-01-05T09:45:00Z', window_closes_at: '2026-01-06T09:45:00Z' },
        ]}
      />,
    );
    const region = screen.getByRole('region', { name: 'Windows closing unanswered (2)' });
    const rows = region.querySelectorAll('li');
    expect(rows[0]?.textContent).toContain('Anna has it unanswered; the window closes in 30 min');
    expect(rows[1]?.textContent).toContain('Waiting at the top of general; the window closes in 45 min');
    fireEvent.click(screen.getByRole('button', { name: 'Open cv_2' }));
    expect(open).toHaveBeenCalledWith('cv_2');
  });

  it('says when no window closes unanswered', () => {
    renderEn(<WindowClosingAlerts agents={agents} onOpen={() => {}} alerts={[]} />);
    expect(screen.getByRole('region', { name: 'Windows closing unanswered (0)' }).textContent).toContain("No customer's messaging window closes unanswered within the hour.");
  });
});
