import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { Transcript } from './Transcript';
import type { TranscriptEntry } from '../api/types';
import { renderEn } from '../test/render';

const now = Date.parse('2026-11-30T12:00:00Z');
const at = (m: number) => new Date(now - m * 60_000).toISOString();
const pastOe = Math.floor((now - 3_600_000) / 1000).toString(16);
const futureOe = Math.floor((now + 3_600_000) / 1000).toString(16);

// The documents type these as free-form objects.
const obj = (o: Record<string, unknown>) => o as unknown as Record<string, never>;

const entries: TranscriptEntry[] = [
  { at: at(10), from: 'customer', text: 'Hej, min faktura er forkert' },
  { at: at(9), from: 'system', text: 'offered: offered to anna' },
  { at: at(8), from: 'automated', text: 'Anna Jensen hjælper dig nu.', status: 'delivered', outbound_id: 'ob_1' },
  { at: at(7), from: 'agent', agent_id: 'anna', text: 'Hej! Jeg kigger på det.', status: 'read', outbound_id: 'ob_2' },
  { at: at(6), from: 'note', agent_id: 'anna', text: 'customer already paid twice' },
  { at: at(5), from: 'page_inbox', text: 'Sent from the Page inbox', note: 'sent by app 1 or the Page inbox' },
  { at: at(4), from: 'agent', agent_id: 'anna', text: 'This one failed', status: 'failed', outbound_id: 'ob_3', failure: obj({ code: 551, subcode: null, reason: 'This person isn’t available right now.' }) },
  { at: at(3), from: 'customer', note: 'the customer unsent this message' },
  { at: at(2), from: 'customer', attachments: [obj({ type: 'image', url: `https://lookaside.fbsbx.com/img.jpg?oe=${futureOe}` })] },
  { at: at(1), from: 'customer', attachments: [obj({ type: 'file', url: `https://lookaside.fbsbx.com/doc.pdf?oe=${pastOe}`, title: 'invoice.pdf' })] },
  { at: at(0), from: 'agent', agent_id: 'anna', text: 'Still going', status: 'queued', outbound_id: 'ob_4' },
];

afterEach(cleanup);

function entry(text: string): HTMLElement {
  const li = screen.getByText(text).closest('li');
  if (!li) throw new Error(`no entry for ${text}`);
  return li;
}

describe('transcript rendering', () => {
  it('puts the customer on the left and us on the right, labelled', () => {
    renderEn(<Transcript entries={entries} now={now} />);
    expect(entry('Hej, min faktura er forkert').className).toContain('side-left');
    expect(within(entry('Hej, min faktura er forkert')).getByText('Customer')).toBeTruthy();
    expect(entry('Hej! Jeg kigger på det.').className).toContain('side-right');
    expect(within(entry('Hej! Jeg kigger på det.')).getByText('Agent · anna')).toBeTruthy();
    expect(within(entry('Anna Jensen hjælper dig nu.')).getByText('Automated')).toBeTruthy();
    expect(within(entry('Sent from the Page inbox')).getByText('Page inbox')).toBeTruthy();
  });

  it('shows system steps as centred lines and notes as private', () => {
    renderEn(<Transcript entries={entries} now={now} />);
    expect(entry('offered: offered to anna').getAttribute('data-from')).toBe('system');
    const note = entry('customer already paid twice');
    expect(note.className).toContain('entry-note');
    expect(within(note).getByText('private')).toBeTruthy();
  });

  it('shows how a system entry that went out fared: a hand-back Meta refused', () => {
    const handBack: TranscriptEntry = {
      at: at(0),
      from: 'system',
      text: 'Conversation Routing: the conversation is handed back to app 900000000000099',
      status: 'failed',
      outbound_id: 'ob_9',
      failure: obj({ code: 10, subcode: 2018300, reason: 'Another app has this conversation now' }),
    };
    renderEn(<Transcript entries={[handBack]} now={now} />);
    const li = entry('Conversation Routing: the conversation is handed back to app 900000000000099');
    expect(li.getAttribute('data-status')).toBe('failed');
    expect(li.textContent).toContain('10/2018300');
    expect(li.textContent).toContain('Another app has this conversation now');
  });

  it('shows each outbound status, and a failure with Meta’s code and sentence', () => {
    renderEn(<Transcript entries={entries} now={now} />);
    expect(within(entry('Anna Jensen hjælper dig nu.')).getByText(/delivered/)).toBeTruthy();
    expect(within(entry('Hej! Jeg kigger på det.')).getByText(/read/)).toBeTruthy();
    expect(within(entry('Still going')).getByText(/queued/)).toBeTruthy();
    expect(within(entry('This one failed')).getByText(/Meta error 551: This person isn’t available right now\./)).toBeTruthy();
  });

  it('offers Retry on a failed reply, sending its text again', () => {
    const onRetry = vi.fn();
    renderEn(<Transcript entries={entries} now={now} onRetry={onRetry} />);
    fireEvent.click(within(entry('This one failed')).getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledWith('This one failed');
    expect(within(entry('Still going')).queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('marks the customer’s unsent message', () => {
    renderEn(<Transcript entries={entries} now={now} />);
    expect(screen.getByText('unsent by the customer').closest('li')?.className).toContain('unsent');
  });

  it('shows images inline and marks expired links instead of breaking them', () => {
    renderEn(<Transcript entries={entries} now={now} />);
    const img = screen.getByRole('img', { name: 'Attachment (image)' });
    expect(img.getAttribute('src')).toContain('img.jpg');
    const expired = screen.getByText(/invoice\.pdf/);
    expect(expired.textContent).toContain('expired link');
    expect(expired.closest('a')).toBeNull();
  });
});
