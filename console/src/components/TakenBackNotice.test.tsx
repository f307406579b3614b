import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { TakenBackNotice, minutesAndSeconds } from './TakenBackNotice';
import { renderEn } from '../test/render';

afterEach(cleanup);

describe('TakenBackNotice', () => {
  it('says what was taken back and after how long, each dismissable', () => {
    const dismiss = vi.fn();
    renderEn(<TakenBackNotice items={[{ id: 'cv_1', why: 'reclaimed', name: 'Ada Lovelace', afterSeconds: 600 }]} onDismiss={dismiss} />);
    expect(screen.getByRole('region', { name: 'Taken back from you' }).textContent).toContain('The conversation with Ada Lovelace went to the next agent: you had not answered it 10 min after accepting it.');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss the notice about Ada Lovelace' }));
    expect(dismiss).toHaveBeenCalledWith('cv_1');
  });

  it('says when a conversation went to someone present while the agent was away', () => {
    renderEn(<TakenBackNotice items={[{ id: 'cv_2', why: 'handed_off', name: 'Bob', afterSeconds: 300 }]} onDismiss={() => {}} />);
    expect(screen.getByRole('region', { name: 'Taken back from you' }).textContent).toContain('The conversation with Bob went to someone present: you had been away or offline for more than 5 min while the customer waited.');
  });

  it('shows nothing when nothing was taken back', () => {
    const { container } = renderEn(<TakenBackNotice items={[]} onDismiss={() => {}} />);
    expect(container.textContent).toBe('');
  });

  it('writes durations plainly', () => {
    expect(minutesAndSeconds(45)).toBe('45 s');
    expect(minutesAndSeconds(120)).toBe('2 min');
    expect(minutesAndSeconds(630)).toBe('10 min 30 s');
  });
});
