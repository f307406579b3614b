// Reply drafts per conversation in sessionStorage: they survive sign-out, an
// expired token and a reload of the tab.
const PREFIX = 'switchboard.draft.';

export function loadDraft(conversationId: string): string {
  try {
    return sessionStorage.getItem(PREFIX + conversationId) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(conversationId: string, text: string): void {
  try {
    if (text) sessionStorage.setItem(PREFIX + conversationId, text);
    else sessionStorage.removeItem(PREFIX + conversationId);
  } catch {
    /* storage full or unavailable: the draft lives in the page only */
  }
}
