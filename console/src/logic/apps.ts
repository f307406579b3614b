// How a Facebook app is named to people in Conversation Routing: Meta's
// Page Inbox by name, any other app by its App ID.
import type { Translate } from '../i18n/i18n';

/** Meta's Page Inbox, the app a thread goes to when no other is named. */
export const PAGE_INBOX = '263902037430900';

export function appName(t: Translate, id: string | null | undefined): string {
  if (!id || id === 'unknown') return t('appUnknown');
  if (id === PAGE_INBOX) return t('appPageInbox');
  return t('appById', { id });
}
