// Conversation Routing, as the agent needs it: which app passed this
// conversation to Switchboard (and what it said), or that another app has
// it now and it can no longer be answered here. Nothing when no other app
// was involved.
import type { ConversationSummary } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { appName } from '../logic/apps';

export function ThreadNote({ thread }: { thread: ConversationSummary['thread_control'] | undefined }) {
  const { t } = useI18n();
  if (!thread) return null;
  if (thread.gone_to) {
    return (
      <p className="thread-note thread-gone" role="note">
        {t('threadGone', { app: appName(t, thread.gone_to) })}
      </p>
    );
  }
  if (!thread.passed_from) return null;
  if (thread.passed_from === 'supervisor') {
    return (
      <p className="thread-note" role="note">
        {t('threadPassedSupervisor')}
      </p>
    );
  }
  const app = appName(t, thread.passed_from);
  return (
    <p className="thread-note" role="note">
      {thread.metadata ? t('threadPassedSaid', { app, metadata: thread.metadata }) : t('threadPassed', { app })}
    </p>
  );
}
