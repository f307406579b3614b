import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { FollowUpBadge } from './FollowUpBadge';
import { I18nProvider } from '../i18n/i18n';
import { renderEn } from '../test/render';

afterEach(cleanup);

describe('the follow-up badge', () => {
  it('marks follow-up work, saying why and when the window closed', () => {
    renderEn(<FollowUpBadge mark={{ since: '2026-11-30T09:00:00.000Z' }} />);
    const badge = screen.getByText('Follow-up: window closed');
    expect(badge.getAttribute('data-follow-up')).toBe('2026-11-30T09:00:00.000Z');
    expect(badge.title).toContain('costs no capacity');
    expect(badge.title).toContain(new Date('2026-11-30T09:00:00.000Z').toLocaleString());
  });

  it('speaks Danish too', () => {
    render(
      <I18nProvider lang="da">
        <FollowUpBadge mark={{ since: '2026-11-30T09:00:00.000Z' }} />
      </I18nProvider>,
    );
    expect(screen.getByText('Opfølgning: vinduet er lukket')).toBeTruthy();
  });

  it('shows nothing for ordinary work', () => {
    const { container } = renderEn(<FollowUpBadge mark={null} />);
    expect(container.textContent).toBe('');
  });
});
