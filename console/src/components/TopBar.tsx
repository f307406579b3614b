// The bar across the top: which view, language, who is signed in, sign out.
import type { Session } from '../auth/session';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from './LanguageSwitch';

interface Props {
  session: Session;
  view: 'workspace' | 'supervisor';
  canSupervise: boolean;
  onView: (v: 'workspace' | 'supervisor') => void;
  onSignOut: () => void;
}

export function TopBar({ session, view, canSupervise, onView, onSignOut }: Props) {
  const { t } = useI18n();
  const who = session.identity.kind === 'agent' ? session.identity.name : 'admin';
  return (
    <header className="topbar">
      <span className="brand">{t('appName')}</span>
      {canSupervise && session.identity.kind === 'agent' && (
        <nav aria-label={t('appName')} className="views">
          <button type="button" aria-pressed={view === 'workspace'} onClick={() => onView('workspace')}>
            {t('workspace')}
          </button>
          <button type="button" aria-pressed={view === 'supervisor'} onClick={() => onView('supervisor')}>
            {t('supervisor')}
          </button>
        </nav>
      )}
      <span className="spacer" />
      <LanguageSwitch />
      <span className="who">{who}</span>
      <button type="button" onClick={onSignOut}>
        {t('signOut')}
      </button>
    </header>
  );
}
