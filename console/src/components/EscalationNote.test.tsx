import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { EscalationNote } from './EscalationNote';
import { renderEn } from '../test/render';

afterEach(cleanup);

describe('EscalationNote', () => {
  it('says who handed the conversation over, and why', () => {
    renderEn(<EscalationNote escalation={{ reason: 'invoice question', by: 'bot', at: '2026-12-01T09:00:00.000Z' }} />);
    expect(screen.getByRole('note').textContent).toBe('From the bot: invoice question');
  });

  it('says when Switchboard handed it over instead', () => {
    renderEn(<EscalationNote escalation={{ reason: 'the bot failed 3 times in a row', by: 'switchboard', at: '2026-12-01T09:00:00.000Z' }} />);
    expect(screen.getByRole('note').textContent).toContain('without the bot');
  });

  it('shows nothing for a conversation that never had a bot', () => {
    const { container } = renderEn(<EscalationNote escalation={null} />);
    expect(container.textContent).toBe('');
  });
});
