import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { ReplyBox } from './ReplyBox';
import type { CannedResponse } from '../api/types';
import { filterCanned, insertCanned, slashQueryAt } from '../logic/canned';
import { renderEn } from '../test/render';

const canned: CannedResponse[] = [
  { id: 'greeting-en', workstream: 'support', locale: 'en', shortcut: 'hello', title: 'Greeting', text: 'Hi {CustomerName}, this is {AgentName}.', rendered: 'Hi Ada Lovelace, this is Anna Jensen.', updated_at: '2026-11-30T10:00:00Z' },
  { id: 'bye-en', workstream: 'support', locale: 'en', shortcut: 'bye', title: 'Goodbye', text: 'Goodbye {CustomerName}!', rendered: 'Goodbye Ada Lovelace!', updated_at: '2026-11-30T10:00:00Z' },
];

beforeEach(() => sessionStorage.clear());
afterEach(cleanup);

function type(box: HTMLTextAreaElement, value: string) {
  fireEvent.change(box, { target: { value, selectionStart: value.length, selectionEnd: value.length } });
}

describe('canned-response insertion', () => {
  it('finds the /word at the caret only at a word start', () => {
    expect(slashQueryAt('Hi /hel', 7)).toEqual({ start: 3, end: 7, query: 'hel' });
    expect(slashQueryAt('/', 1)).toEqual({ start: 0, end: 1, query: '' });
    expect(slashQueryAt('and/or', 6)).toBeNull();
    expect(filterCanned(canned, 'b').map((c) => c.id)).toEqual(['bye-en']);
  });

  it('replaces /shortcut with the filled-in text, keeping the rest', () => {
    const text = 'Hi /hel and more';
    const q = slashQueryAt(text, 7);
    if (!q || !canned[0]) throw new Error('no query');
    expect(insertCanned(text, q, canned[0])).toEqual({ text: 'Hi Hi Ada Lovelace, this is Anna Jensen. and more', caret: 40 });
  });

  it('opens the list on / and inserts the chosen one with Enter, without sending', () => {
    const onSend = vi.fn(async () => null);
    renderEn(<ReplyBox conversationId="cv_1" disabledReason={null} hint={null} canned={canned} onSend={onSend} onTyping={() => undefined} />);
    const box = screen.getByLabelText('Reply') as HTMLTextAreaElement;
    type(box, '/he');
    const list = screen.getByRole('listbox', { name: 'Canned responses' });
    expect(list.textContent).toContain('/hello');
    expect(list.textContent).not.toContain('/bye');
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('Hi Ada Lovelace, this is Anna Jensen.');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('sends on Enter, not on Shift+Enter, and keeps the draft per conversation', async () => {
    const onSend = vi.fn(async () => null);
    renderEn(<ReplyBox conversationId="cv_2" disabledReason={null} hint={null} canned={canned} onSend={onSend} onTyping={() => undefined} />);
    const box = screen.getByLabelText('Reply') as HTMLTextAreaElement;
    type(box, 'Hello there');
    expect(sessionStorage.getItem('switchboard.draft.cv_2')).toBe('Hello there');
    fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(onSend).not.toHaveBeenCalled();
    fireEvent.keyDown(box, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith({ text: 'Hello there' });
  });

  it('says why when no reply is allowed', () => {
    renderEn(<ReplyBox conversationId="cv_3" disabledReason="The 24-hour messaging window closed." hint={null} canned={canned} onSend={async () => null} onTyping={() => undefined} />);
    const box = screen.getByLabelText('Reply') as HTMLTextAreaElement;
    expect(box.disabled).toBe(true);
    expect(screen.getByText('The 24-hour messaging window closed.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Send' })).toBeNull();
  });
});
