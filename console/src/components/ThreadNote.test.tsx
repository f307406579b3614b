import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { ThreadNote } from './ThreadNote';
import { renderEn } from '../test/render';

afterEach(cleanup);

describe('ThreadNote', () => {
  it('names the app that passed the conversation, and what it said', () => {
    renderEn(<ThreadNote thread={{ passed_from: '900000000000099', metadata: 'vip', gone_to: null }} />);
    expect(screen.getByRole('note').textContent).toBe('Passed to Switchboard by app 900000000000099: “vip”');
  });

  it("says Meta's inbox has it now, and that it cannot be answered here", () => {
    renderEn(<ThreadNote thread={{ passed_from: null, metadata: null, gone_to: '263902037430900' }} />);
    expect(screen.getByRole('note').textContent).toBe("Meta's Page Inbox has this conversation now: it can no longer be answered from Switchboard.");
  });

  it('shows nothing when no other app was involved', () => {
    const { container } = renderEn(<ThreadNote thread={null} />);
    expect(container.textContent).toBe('');
  });
});
